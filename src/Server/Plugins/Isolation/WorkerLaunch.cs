using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>Everything needed to start (and restart) one generation's worker.</summary>
internal sealed record WorkerLaunch(
    string PluginsPath,
    string Name,
    IReadOnlyList<KeyValuePair<string, string?>> Settings,
    IsolationSettings Isolation,
    ILogger Logger,
    TimeSpan ReadyTimeout);
