using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Diagnostics;

/// <summary>
/// Keeps the events a peer can repeat at will (bad headers, timeouts, requests that make the plugin fail) to one
/// full line per second and kind: the rest are counted, and summed up in one line once that second is over, so a
/// fuzzing peer can neither flood the log nor push out its history.
/// </summary>
internal sealed class ThrottledLog(ILogger logger)
{
    private const long WindowMs = 1000;

    private readonly Window[] _windows = Enumerable.Range(0, Enum.GetValues<ThrottledEvent>().Length).Select(_ => new Window()).ToArray();

    /// <summary>Whether this event gets its full line (the first of its second); otherwise it is only counted.</summary>
    public bool ShouldLog(ThrottledEvent kind, long now)
    {
        var window = _windows[(int)kind];
        var start = Volatile.Read(ref window.Start);
        if (now - start >= WindowMs && Interlocked.CompareExchange(ref window.Start, now, start) == start)
        {
            return true;
        }

        Interlocked.Increment(ref window.Suppressed);
        return false;
    }

    /// <summary>Sums up what was counted in seconds that are over; called from the periodic scans.</summary>
    public void Flush(long now)
    {
        for (var kind = 0; kind < _windows.Length; kind++)
        {
            var window = _windows[kind];
            if (Volatile.Read(ref window.Suppressed) > 0 && now - Volatile.Read(ref window.Start) >= WindowMs
                && Interlocked.Exchange(ref window.Suppressed, 0) is var count and > 0)
            {
                var level = (ThrottledEvent)kind is ThrottledEvent.PluginFault or ThrottledEvent.AnswerTooLarge ? LogLevel.Warning : LogLevel.Information;
                ConnectionLog.Suppressed(logger, level, count, ((ThrottledEvent)kind).ToString());
            }
        }
    }

    private sealed class Window
    {
        // Far in the past, so the very first event of each kind is logged in full.
        public long Start = long.MinValue / 2;
        public long Suppressed;
    }
}
