using PluggableNet.Server.Transport;

namespace PluggableNet.Server.Hosting;

/// <summary>
/// The new host's side of a host upgrade as the server's hosting sees it (docs/upgrade.md): every endpoint is
/// prepared (configuration read, plugin loaded) before the listening sockets are asked for, in Envoy's order.
/// </summary>
internal interface IUpgradeHandOver
{
    /// <summary>
    /// Asks the old host for its listening sockets, once every endpoint in <paramref name="prepared"/> is ready to
    /// serve, and continues its counters in theirs. Returns each endpoint's socket by endpoint name; an endpoint the
    /// old host did not have binds its own. Throws when the old host refuses or is gone: the start fails.
    /// </summary>
    IReadOnlyDictionary<string, InheritedListener> TakeListeners(IReadOnlyList<PluggableServer> prepared);

    /// <summary>Every endpoint accepts: tells the old host, which stops accepting, and waits until it has.</summary>
    void Serving(IReadOnlyList<PluggableServer> servers);
}
