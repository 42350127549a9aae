namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// What the reactors looked like over one sampling interval, reduced to the figures <see cref="ReactorScalingPolicy"/>
/// decides on. Fractions are of the interval's wall time.
/// </summary>
/// <param name="MinBusy">The least busy active reactor's time outside <c>epoll_wait</c>, 0..1.</param>
/// <param name="TotalBusy">The active reactors' busy fractions summed: how many reactors' worth of work there is.</param>
/// <param name="RunQueueWait">The active reactors' mean time runnable but not running (schedstat's 2nd field), 0..1.</param>
/// <param name="InvoluntarySwitchesPerSecond">The active reactors' mean preemptions per second (nivcsw).</param>
/// <param name="RequestsPerSecond">Requests answered per second by all reactors.</param>
/// <param name="SpareCpus">Processors' worth of idle time on the machine (or the CPUs this process may use).</param>
/// <param name="PushesPerSecond">Session pushes queued per second (a broadcast to N members is N): a reactor's other work.</param>
internal readonly record struct ReactorSignals(
    double MinBusy,
    double TotalBusy,
    double RunQueueWait,
    double InvoluntarySwitchesPerSecond,
    double RequestsPerSecond,
    double SpareCpus,
    double PushesPerSecond = 0)
{
    /// <summary>What the reactors delivered: requests answered plus pushes queued, the rate a trial compares.</summary>
    public double WorkPerSecond => RequestsPerSecond + PushesPerSecond;

    /// <summary>Most of the work is pushes (a fan-out), not answers to a client waiting for them.</summary>
    public bool MostlyPushes => PushesPerSecond > RequestsPerSecond;
}
