namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// Decides how many reactors are active under <c>Server:ReactorThreads=auto</c>, from one <see cref="ReactorSignals"/>
/// per sampling interval. Pure: no clock, no threads, no I/O, so every decision is testable on synthetic signals.
/// </summary>
/// <remarks>
/// <para>The signals only propose a change; the change is then measured. A reactor more is proposed when every active
/// reactor is saturated and the machine has CPU to spare; a reactor fewer when the active ones wait in the run queue
/// (they preempt each other or whatever shares their cores) or when their work would fit on fewer. The proposal
/// runs as a trial: after one interval to settle, the requests per second of the next intervals are compared with
/// those before. A grown set is kept only if it answers clearly more (<see cref="GrowGain"/>), a shrunk one if it
/// answers about as much (<see cref="ShrinkLoss"/>): fewer reactors at the same rate mean fewer wake-ups, less
/// preemption and lower latency. A trial that fails is undone and the same move is not proposed again for a back-off
/// that doubles with each failure, so a set that does not pay is not retried every second.</para>
/// <para>Hysteresis: a condition must hold for <see cref="SustainIntervals"/> intervals in a row before a trial starts,
/// nothing is proposed while a trial runs, and after a kept trial the opposite move waits
/// <see cref="KeptHoldIntervals"/>.</para>
/// </remarks>
internal sealed class ReactorScalingPolicy
{
    /// <summary>Intervals a condition must hold before a trial.</summary>
    public const int SustainIntervals = 3;

    /// <summary>Intervals of a trial ignored while connections move and caches warm.</summary>
    public const int SettleIntervals = 1;

    /// <summary>Intervals of a trial that are measured.</summary>
    public const int MeasureIntervals = 3;

    /// <summary>A reactor this busy (outside epoll_wait) is saturated.</summary>
    public const double SaturatedBusy = 0.85;

    /// <summary>Idle processors the machine must have before one more reactor is tried.</summary>
    public const double MinSpareCpus = 0.3;

    /// <summary>Mean run-queue wait of the active reactors that makes them oversubscribed.</summary>
    public const double OversubscribedWait = 0.10;

    /// <summary>Below this fraction of one reactor per reactor, the work fits on one reactor fewer.</summary>
    public const double UnderusedBusy = 0.35;

    /// <summary>A grown set must answer this much more to be kept.</summary>
    public const double GrowGain = 1.05;

    /// <summary>A shrunk set may answer this much less and still be kept.</summary>
    public const double ShrinkLoss = 0.95;

    /// <summary>First back-off after a failed trial, in intervals; doubles per failure up to <see cref="MaxBackoffIntervals"/>.</summary>
    public const int FirstBackoffIntervals = 8;

    public const int MaxBackoffIntervals = 240;

    /// <summary>After a kept trial, intervals before the opposite move is proposed: the trial just measured it as worse.</summary>
    public const int KeptHoldIntervals = 40;

    private readonly int _max;
    private readonly double[] _recentRates = new double[SustainIntervals];
    private int _saturatedFor;
    private int _oversubscribedFor;
    private int _underusedFor;
    private int _growBackoff = FirstBackoffIntervals;
    private int _shrinkBackoff = FirstBackoffIntervals;
    private int _noGrowFor;
    private int _noShrinkFor;
    private int _trialFrom;
    private int _trialAge;
    private double _trialBaseline;
    private double _trialRateSum;
    private long _intervals;

    /// <param name="maxReactors">Reactors that exist (<c>Server:ReactorThreads</c>'s processor count under auto).</param>
    /// <param name="initial">Active reactors at start: one, so connections start concentrated.</param>
    public ReactorScalingPolicy(int maxReactors, int initial = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReactors, 1);
        _max = maxReactors;
        Active = Math.Clamp(initial, 1, maxReactors);
    }

    /// <summary>Reactors that take connections now.</summary>
    public int Active { get; private set; }

    /// <summary>True while a grown or shrunk set is being measured.</summary>
    public bool InTrial => _trialFrom != 0;

    /// <summary>Why the last change happened, for the Debug line.</summary>
    public string LastReason { get; private set; } = "start";

    /// <summary>Takes one interval's signals; returns the active reactor count from now on.</summary>
    public int Observe(in ReactorSignals signals)
    {
        _recentRates[_intervals++ % SustainIntervals] = signals.WorkPerSecond;
        _noGrowFor = Math.Max(0, _noGrowFor - 1);
        _noShrinkFor = Math.Max(0, _noShrinkFor - 1);
        return InTrial ? ContinueTrial(signals) : Propose(signals);
    }

    private int Propose(in ReactorSignals s)
    {
        // A fan-out grows without spare CPU: its sends do not wait on the client's turn as ping-pong does, so a second
        // reactor may pay even on cores the receivers share; the trial measures whether it does.
        _saturatedFor = s.MinBusy >= SaturatedBusy && (s.SpareCpus >= MinSpareCpus || s.MostlyPushes) ? _saturatedFor + 1 : 0;
        _oversubscribedFor = Active > 1 && s.RunQueueWait >= OversubscribedWait ? _oversubscribedFor + 1 : 0;
        _underusedFor = Active > 1 && s.TotalBusy <= (Active - 1) * UnderusedBusy ? _underusedFor + 1 : 0;
        if (_intervals < SustainIntervals)
        {
            return Active;
        }

        if (_underusedFor >= SustainIntervals && _noShrinkFor == 0 && s.WorkPerSecond <= 0)
        {
            // Nothing is being served at all: nothing to measure, concentrate at once.
            LastReason = "no requests";
            Reset();
            return Active = 1;
        }

        if (Active < _max && _saturatedFor >= SustainIntervals && _noGrowFor == 0)
        {
            return StartTrial(Active + 1, "active reactors saturated with CPU to spare");
        }

        if (Active > 1 && _noShrinkFor == 0 && (_oversubscribedFor >= SustainIntervals || _underusedFor >= SustainIntervals))
        {
            return StartTrial(Active - 1, _oversubscribedFor >= SustainIntervals ? "reactors wait for a CPU (preempted)" : "the work fits on fewer reactors");
        }

        return Active;
    }

    private int StartTrial(int target, string reason)
    {
        _trialFrom = Active;
        _trialBaseline = RecentRate();
        _trialAge = 0;
        _trialRateSum = 0;
        LastReason = "trial: " + reason;
        Reset();
        return Active = target;
    }

    private int ContinueTrial(in ReactorSignals s)
    {
        _trialAge++;
        if (_trialAge <= SettleIntervals)
        {
            return Active;
        }

        _trialRateSum += s.WorkPerSecond;
        if (_trialAge < SettleIntervals + MeasureIntervals)
        {
            return Active;
        }

        var rate = _trialRateSum / MeasureIntervals;
        var grew = Active > _trialFrom;
        var kept = grew ? rate >= _trialBaseline * GrowGain : rate >= _trialBaseline * ShrinkLoss;
        var from = _trialFrom;
        _trialFrom = 0;
        if (kept)
        {
            LastReason = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"kept: {rate:F0} req+push/s vs {_trialBaseline:F0} with {from}");
            // A grown set is oversubscribed by design (it was kept anyway), a shrunk one saturated: hold it a while.
            if (grew)
            {
                _growBackoff = FirstBackoffIntervals;
                _noShrinkFor = KeptHoldIntervals;
            }
            else
            {
                _shrinkBackoff = FirstBackoffIntervals;
                _noGrowFor = KeptHoldIntervals;
            }

            return Active;
        }

        LastReason = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"undone: {rate:F0} req+push/s vs {_trialBaseline:F0} with {from}");
        if (grew)
        {
            _noGrowFor = _growBackoff;
            _growBackoff = Math.Min(_growBackoff * 2, MaxBackoffIntervals);
        }
        else
        {
            _noShrinkFor = _shrinkBackoff;
            _shrinkBackoff = Math.Min(_shrinkBackoff * 2, MaxBackoffIntervals);
        }

        return Active = from;
    }

    private double RecentRate()
    {
        var count = (int)Math.Min(_intervals, SustainIntervals);
        var sum = 0.0;
        for (var i = 0; i < count; i++)
        {
            sum += _recentRates[i];
        }

        return count == 0 ? 0 : sum / count;
    }

    private void Reset()
    {
        _saturatedFor = 0;
        _oversubscribedFor = 0;
        _underusedFor = 0;
    }
}
