using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Diagnostics;

/// <summary>
/// Keeps the events a peer can repeat at will (bad headers, timeouts, requests that make the plugin fail) to one
/// full line per second and kind: the rest are counted, and summed up in one line once that second is over, so a
/// fuzzing peer can neither flood the log nor push out its history.
/// </summary>
internal sealed class ThrottledLog(ILogger logger)
{
    private readonly PerSecondLimit[] _limits = Enumerable.Range(0, Enum.GetValues<ThrottledEvent>().Length).Select(_ => new PerSecondLimit()).ToArray();

    /// <summary>Whether this event gets its full line (the first of its second); otherwise it is only counted.</summary>
    public bool ShouldLog(ThrottledEvent kind, long now) => _limits[(int)kind].TryEnter(now);

    /// <summary>Sums up what was counted in seconds that are over; called from the periodic scans.</summary>
    public void Flush(long now)
    {
        for (var kind = 0; kind < _limits.Length; kind++)
        {
            if (_limits[kind].TakeSuppressed(now) is var count and > 0)
            {
                var level = (ThrottledEvent)kind is ThrottledEvent.PluginFault or ThrottledEvent.AnswerTooLarge
                    or ThrottledEvent.AddressConnections or ThrottledEvent.AddressRate or ThrottledEvent.AddressTableFull ? LogLevel.Warning : LogLevel.Information;
                ConnectionLog.Suppressed(logger, level, count, ((ThrottledEvent)kind).ToString());
            }
        }
    }
}
