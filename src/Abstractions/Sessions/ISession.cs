using System.Net;

namespace PluggableNet;

/// <summary>
/// One client connection as a session plugin sees it (<see cref="ISessionPlugin"/>): who it is, where it came from,
/// its state, and how to push to it or close it. Any thread may use it.
/// </summary>
/// <remarks>
/// The object a plugin generation is handed belongs to that generation: once a swap retires the generation, its
/// pushes are refused (<see cref="PushResult.Refused"/>) and never written, so a timer the old code forgot cannot
/// speak for the new one.
/// </remarks>
public interface ISession
{
    /// <summary>Unique for the host's run, stable for the connection's life, never 0.</summary>
    long Id { get; }

    /// <summary>The client: the address a trusted proxy's PROXY header named, or the socket's peer.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>The host's address and port the client connected to.</summary>
    EndPoint? LocalEndPoint { get; }

    /// <summary>The protocol the connection speaks (docs/protocol.md).</summary>
    SessionProtocol Protocol { get; }

    /// <summary>The subject of the client's certificate on a TLS endpoint that asked for one (docs/tls.md); null otherwise.</summary>
    string? ClientCertificateSubject => null;

    /// <summary>When the session opened: after the connection's protocol was decided.</summary>
    DateTimeOffset OpenedAt { get; }

    /// <summary>
    /// The plugin's per-connection state, as it likes. It belongs to the generation that set it: at a swap the old
    /// generation exports it as data and the new one imports it (<see cref="ISessionPlugin.ExportState"/>).
    /// </summary>
    object? State { get; set; }

    /// <summary>Every session of the host, and the groups: what a push to another connection goes through.</summary>
    ISessionRegistry Sessions { get; }

    /// <summary>
    /// Sends <paramref name="payload"/> to this connection, unasked: a PUSH frame on v2, a frame on a v1 stream
    /// (<see cref="SessionOptions.V1StreamMode"/>). Never blocks; copied before it returns.
    /// </summary>
    PushResult Push(ReadOnlySpan<byte> payload);

    /// <summary>
    /// Closes the connection gracefully, from any thread: requests already read are answered and queued pushes sent
    /// first; then a v2 peer gets GOAWAY with <paramref name="reason"/>. Logged with the reason.
    /// </summary>
    void Close(string reason);
}
