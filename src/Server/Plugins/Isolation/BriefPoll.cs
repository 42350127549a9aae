using System.Diagnostics;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// Whether to spin for the other process's next message before sleeping (docs/isolation.md, "Latency"). A spin that
/// finds the message saves a thread wake-up; one that does not only burns a core, which on a busy machine delays the
/// very process being waited for. So a miss turns spinning off for the next 1, 2, 4 … 64 chances, and a hit turns it
/// back on. One per thread that waits: not thread-safe.
/// </summary>
internal struct BriefPoll
{
    /// <summary>The window: a depth-1 round trip on an idle machine fits in it; a worker's cold start does not.</summary>
    public static readonly long WindowTicks = Stopwatch.Frequency * 50 / 1_000_000;

    private int _skip;
    private int _backoff;

    /// <summary>True if this wait should spin first.</summary>
    public bool ShouldSpin()
    {
        if (_skip == 0)
        {
            return true;
        }

        _skip--;
        return false;
    }

    /// <summary>The spin found what it waited for.</summary>
    public void Hit() => _backoff = 0;

    /// <summary>The window ended with nothing.</summary>
    public void Miss()
    {
        _backoff = Math.Min(Math.Max(1, _backoff * 2), 64);
        _skip = _backoff;
    }
}
