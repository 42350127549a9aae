using Microsoft.Extensions.Logging;
using PluggableNet.Server.Diagnostics;

namespace PluggableNet.Server.Connections;

/// <summary>Counts connections refused over <c>Limits:MaxConnections</c> and logs them at most once a second, as a rate.</summary>
internal sealed class RejectionLog(ILogger logger, int maxConnections)
{
    private long _pending;
    private long _lastLoggedAt;

    public void Rejected(long now)
    {
        Interlocked.Increment(ref _pending);
        Flush(now);
    }

    /// <summary>Logs what accumulated if a second has passed; called on rejection and from periodic scans.</summary>
    public void Flush(long now)
    {
        var last = Volatile.Read(ref _lastLoggedAt);
        if (Volatile.Read(ref _pending) == 0 || now - last < 1000 || Interlocked.CompareExchange(ref _lastLoggedAt, now, last) != last)
        {
            return;
        }

        var count = Interlocked.Exchange(ref _pending, 0);
        if (count > 0)
        {
            ConnectionLog.Rejected(logger, count, maxConnections);
        }
    }
}
