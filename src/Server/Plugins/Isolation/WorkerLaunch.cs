using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>Everything needed to start (and restart) one generation's worker.</summary>
internal sealed record WorkerLaunch(
    string PluginsPath,
    string Name,
    IReadOnlyList<KeyValuePair<string, string?>> Settings,
    IsolationSettings Isolation,
    ILogger Logger,
    TimeSpan ReadyTimeout)
{
    /// <summary>How requests and answers were batched over this plugin's workers (every generation and restart: the factory's set).</summary>
    public IsolationCounters Counters { get; init; } = new();

    /// <summary>Epoll reactors of the server: each gets its own channel to the worker (0 on the Sockets transport).</summary>
    public int Channels { get; init; }
}
