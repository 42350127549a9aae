using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// The plumbing around <see cref="ReactorScalingPolicy"/>: a background thread that samples the reactors four times a
/// second (busy time outside <c>epoll_wait</c>, run-queue wait and preemptions from <c>/proc/self/task/TID</c>, the
/// machine's idle time, the requests answered), asks the policy, and applies its answer to the <see cref="ReactorSet"/>.
/// </summary>
internal sealed class ReactorScaler : IDisposable
{
    public const int IntervalMs = 250;

    private readonly ReactorSet _set;
    private readonly ILogger _logger;
    private readonly int _drillMs;
    private readonly Func<long> _pushes;
    private readonly ReactorScalingPolicy _policy;
    private readonly ProcCounters _proc = new();
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private readonly long[] _lastWaitTicks;
    private readonly long[] _lastRunQueueNs;
    private readonly long[] _lastSwitches;
    private readonly string[] _schedstatPaths;
    private readonly string[] _statusPaths;
    private long _lastRequests;
    private long _lastPushes;
    private double _lastIdleCpuSeconds;
    private long _lastSampleAt;

    /// <param name="set">The reactors.</param>
    /// <param name="logger">Where changes (Debug) and every interval's signals (Trace) go.</param>
    /// <param name="drillMs">Migration drill period, or 0.</param>
    /// <param name="pushes">Session pushes queued so far (a fan-out's work, which answers no request).</param>
    public ReactorScaler(ReactorSet set, ILogger logger, int drillMs, Func<long>? pushes = null)
    {
        _set = set;
        _pushes = pushes ?? (() => 0);
        _logger = logger;
        _drillMs = drillMs;
        _policy = new ReactorScalingPolicy(set.Count);
        var count = set.Count;
        _lastWaitTicks = new long[count];
        _lastRunQueueNs = new long[count];
        _lastSwitches = new long[count];
        _schedstatPaths = new string[count];
        _statusPaths = new string[count];
        _thread = new Thread(Run) { IsBackground = true, Name = "epoll-reactor-scaler" };
    }

    /// <summary>The active reactors the scaler starts with (the policy's initial choice).</summary>
    public int InitialActive => _policy.Active;

    public void Start() => _thread.Start();

    public void Dispose()
    {
        _stop.Set();
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        _stop.Dispose();
    }

    private void Run()
    {
        if (_drillMs > 0)
        {
            Drill();
            return;
        }

        Sample(out _);
        while (!_stop.Wait(IntervalMs))
        {
            if (!Sample(out var signals))
            {
                continue;
            }

            if (_logger.IsEnabled(LogLevel.Trace))
            {
                _logger.LogTrace("Reactor signals: {Signals}", signals);
            }

            var before = _policy.Active;
            var wasInTrial = _policy.InTrial;
            var after = _policy.Observe(signals);
            if (after != before)
            {
                Change(before, after, _policy.LastReason, signals);
            }
            else if (wasInTrial && !_policy.InTrial)
            {
                // A trial ended and its set stays.
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    _logger.LogDebug("Reactor set: {Active} of {Count} active ({Reason})", after, _set.Count, _policy.LastReason);
                }
            }
        }
    }

    /// <summary>Alternates between one and all reactors: every connection between requests moves each time.</summary>
    private void Drill()
    {
        while (!_stop.Wait(_drillMs))
        {
            var before = _set.Active;
            var after = before == 1 ? _set.Count : 1;
            _set.SetActive(after);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug("Reactor set: {Before} -> {After} of {Count} active (migration drill)", before, after, _set.Count);
            }
        }
    }

    private void Change(int before, int after, string reason, in ReactorSignals s)
    {
        _set.SetActive(after);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug(
                "Reactor set: {Before} -> {After} of {Count} active ({Reason}; min busy {Busy:P0}, total busy {Total:F2}, run-queue wait {Wait:P0}, {Switches:F0} preemptions/s, {Rate:F0} req/s, {Pushes:F0} pushes/s, {Spare:F2} CPUs idle)",
                before, after, _set.Count, reason, s.MinBusy, s.TotalBusy, s.RunQueueWait, s.InvoluntarySwitchesPerSecond, s.RequestsPerSecond, s.PushesPerSecond, s.SpareCpus);
        }
    }

    /// <summary>Reads every counter and turns the deltas since the last sample into signals; false on the first sample.</summary>
    private bool Sample(out ReactorSignals signals)
    {
        var now = Stopwatch.GetTimestamp();
        var wallSeconds = (now - _lastSampleAt) / (double)Stopwatch.Frequency;
        var first = _lastSampleAt == 0;
        _lastSampleAt = now;
        var active = _set.Active;
        var minBusy = 1.0;
        var totalBusy = 0.0;
        var wait = 0.0;
        var switches = 0.0;
        for (var i = 0; i < _set.Count; i++)
        {
            var reactor = _set.All[i];
            if (_schedstatPaths[i] is null && reactor.ThreadId != 0)
            {
                (_schedstatPaths[i], _statusPaths[i]) = ProcCounters.PathsFor(reactor.ThreadId);
            }

            var waitTicks = reactor.WaitTicks;
            var runQueueNs = _schedstatPaths[i] is { } sched ? _proc.RunQueueWaitNs(sched) : 0;
            var nivcsw = _statusPaths[i] is { } status ? _proc.InvoluntarySwitches(status) : 0;
            if (!first && i < active && wallSeconds > 0)
            {
                var idleSeconds = (waitTicks - _lastWaitTicks[i]) / (double)Stopwatch.Frequency;
                var busy = Math.Clamp(1 - (idleSeconds / wallSeconds), 0, 1);
                minBusy = Math.Min(minBusy, busy);
                totalBusy += busy;
                wait += Math.Clamp((runQueueNs - _lastRunQueueNs[i]) / 1e9 / wallSeconds, 0, 1);
                switches += (nivcsw - _lastSwitches[i]) / wallSeconds;
            }

            _lastWaitTicks[i] = waitTicks;
            _lastRunQueueNs[i] = runQueueNs;
            _lastSwitches[i] = nivcsw;
        }

        var requests = _set.Metrics.Requests;
        var pushes = _pushes();
        var idleCpu = _proc.IdleCpuSeconds();
        signals = first || wallSeconds <= 0
            ? default
            : new ReactorSignals(
                minBusy,
                totalBusy,
                wait / active,
                switches / active,
                (requests - _lastRequests) / wallSeconds,
                Math.Max(0, (idleCpu - _lastIdleCpuSeconds) / wallSeconds),
                (pushes - _lastPushes) / wallSeconds);
        _lastRequests = requests;
        _lastPushes = pushes;
        _lastIdleCpuSeconds = idleCpu;
        return !first && wallSeconds > 0;
    }
}
