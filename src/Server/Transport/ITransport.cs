using System.Net;

namespace PluggableNet.Server.Transport;

/// <summary>
/// Moves bytes between sockets and <see cref="Connections.FrameConnection"/> state machines, and nothing else:
/// admission, timeouts and close bookkeeping are <see cref="Connections.ConnectionLifecycle"/>'s, and the drain is
/// orchestrated above the transports (stop accepting, ask connections to finish, wait, abort the rest).
/// </summary>
internal interface ITransport : IAsyncDisposable
{
    /// <summary>The address actually bound (the real port when 0 was asked for). Valid after <see cref="Start"/>.</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds, listens and starts serving. Throws if the address cannot be bound.</summary>
    void Start();

    /// <summary>
    /// The listening socket's descriptor, made safe to share with another process (a host upgrade passes it on with
    /// SCM_RIGHTS): closing our copy later must only drop our reference, never shut the socket down for everyone.
    /// -1 once this transport stopped accepting.
    /// </summary>
    int ShareListener();

    /// <summary>Stops accepting and closes the listener; accepted connections go on being served.</summary>
    Task StopAcceptingAsync();

    /// <summary>
    /// Runs the lifecycle's check on every connection now rather than at the next scan, so a drain that just started
    /// closes the connections with nothing in progress at once.
    /// </summary>
    void ScanNow();

    /// <summary>
    /// A detach batch opened (<see cref="Connections.ConnectionContext.Detaching"/>): gives every connection a turn, so
    /// those between requests leave now (docs/upgrade-connections.md); the others leave when they get there.
    /// </summary>
    void RequestDetach();

    /// <summary>Serves <paramref name="machine"/>, adopted from another server, on the connected socket <paramref name="fd"/>, which it now owns.</summary>
    void Adopt(int fd, Connections.FrameConnection machine);

    /// <summary>Cuts every connection still open and ends the transport's loops. Returns how many were cut.</summary>
    Task<int> AbortAllAsync();
}
