namespace PluggableNet.Server.Diagnostics;

/// <summary>
/// One event kind a peer can repeat at will, kept to one full log line per second: the first event of a second is
/// logged in full (<see cref="TryEnter"/> is true), the rest are only counted, and <see cref="TakeSuppressed"/>
/// hands their count over once that second is over, for one summary line. Safe from any thread; times are
/// <see cref="Environment.TickCount64"/> milliseconds passed in, so tests choose them.
/// </summary>
internal sealed class PerSecondLimit
{
    private const long WindowMs = 1000;

    // Far in the past, so the very first event is logged in full.
    private long _windowStart = long.MinValue / 2;
    private long _suppressed;

    /// <summary>Whether this event gets its full line (the first of its second); otherwise it is only counted.</summary>
    public bool TryEnter(long now)
    {
        var start = Volatile.Read(ref _windowStart);
        if (now - start >= WindowMs && Interlocked.CompareExchange(ref _windowStart, now, start) == start)
        {
            return true;
        }

        Interlocked.Increment(ref _suppressed);
        return false;
    }

    /// <summary>The events counted and not logged, once the second they fell in is over (each counted once); 0 otherwise.</summary>
    public long TakeSuppressed(long now) =>
        Volatile.Read(ref _suppressed) > 0 && now - Volatile.Read(ref _windowStart) >= WindowMs
            ? Interlocked.Exchange(ref _suppressed, 0)
            : 0;
}
