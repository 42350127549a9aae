using System.Net;

namespace PluggableNet.Host.Transport;

/// <summary>Moves bytes between sockets and <see cref="Connections.FrameConnection"/> state machines.</summary>
internal interface ITransport : IAsyncDisposable
{
    /// <summary>The address actually bound (the real port when 0 was asked for). Valid after <see cref="Start"/>.</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds, listens and starts serving. Throws if the address cannot be bound.</summary>
    void Start();

    /// <summary>
    /// Stops accepting, lets connections finish what they have received and flush their answers, and after
    /// <paramref name="drainTimeout"/> closes whatever remains.
    /// </summary>
    Task<DrainResult> StopAsync(TimeSpan drainTimeout);
}
