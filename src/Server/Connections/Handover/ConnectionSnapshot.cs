using System.Net;
using System.Runtime.InteropServices;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Connections.Handover;

/// <summary>
/// One established connection taken off a running server between two requests (<see cref="PluggableServer.BeginDetachAsync"/>),
/// to be served on by another (<see cref="PluggableServer.Adopt"/>), in this process or, with <see cref="Socket"/> passed
/// over <c>SCM_RIGHTS</c> and the rest written with <see cref="Write"/>, in another. Everything a server needs to go on
/// from exactly that point: the bytes of the next frame already received, the state machine's fields, the protocol and
/// its v2 state, the client's address, and the session's state as the plugin exported it. Format: docs/upgrade-connections.md.
/// </summary>
/// <remarks>Times are kept as ages ("how long ago"): <see cref="Environment.TickCount64"/> means nothing in another process.</remarks>
internal sealed partial class ConnectionSnapshot : IDisposable
{
    /// <summary>The first byte of the written form; a reader refuses any other.</summary>
    public const byte FormatVersion = 1;

    /// <summary>The connected socket's descriptor. The holder owns it: <see cref="Dispose"/> closes it unless it was taken.</summary>
    public SafeHandle? Socket { get; set; }

    /// <summary>The connection's id on the server it left (for logs): the adopting server gives it one of its own.</summary>
    public long PreviousId { get; init; }

    public WireProtocol Protocol { get; init; }

    /// <summary>A PROXY header is still expected first (<c>Server:ProxyProtocol</c>, nothing of it received yet).</summary>
    public bool AwaitingProxyHeader { get; init; }

    public bool ReceivedAny { get; init; }

    /// <summary>Requests answered so far, on every server the connection was served by.</summary>
    public long Requests { get; init; }

    /// <summary>The client: the address a trusted proxy's PROXY header named, or the socket's peer.</summary>
    public IPEndPoint? Peer { get; init; }

    /// <summary>The proxy the connection came through, when a PROXY header named the client.</summary>
    public IPEndPoint? ProxiedBy { get; init; }

    /// <summary>The host's address the client connected to (the PROXY header's destination when proxied).</summary>
    public IPEndPoint? LocalEndPoint { get; init; }

    /// <summary>Received and not yet consumed: the start of the next frame, or frames a session swap held back.</summary>
    public byte[] Received { get; init; } = [];

    /// <summary>Header plus payload of the frame being received once its header is known; 0 otherwise.</summary>
    public int ExpectedFrame { get; init; }

    /// <summary>How long ago the frame being received started (its read limit runs from then); -1 when none has.</summary>
    public long FrameStartedAgoMs { get; init; } = -1;

    /// <summary>How long ago the last request was taken or answered: the idle timeout runs from it.</summary>
    public long LastRequestAgoMs { get; init; }

    /// <summary>v1 stream mode (the session plugin's <c>V1StreamMode</c>): an empty answer sends nothing.</summary>
    public bool V1Stream { get; init; }

    /// <summary>v2 only: what the connection negotiated and its heartbeat; null for v1 or undecided.</summary>
    public V2Snapshot? V2 { get; init; }

    /// <summary>The session, when the old server's plugin keeps sessions and one was open; null otherwise.</summary>
    public SessionSnapshot? Session { get; init; }

    /// <summary>
    /// In this process only (not written): the numbers this connection's descriptor had on Sockets transports here. The
    /// runtime's epoll keeps a registration for each while any duplicate of the socket is open, and a socket created
    /// again on one of those numbers would collide with it (EEXIST): a connection moved there and back would otherwise
    /// get its first number again.
    /// </summary>
    public int[] DescriptorsToAvoid { get; set; } = [];

    /// <summary>
    /// A duplicate of the descriptor for the caller to own as a bare number; the snapshot's own copy is released. Never
    /// the same number, nor one of <see cref="DescriptorsToAvoid"/>: a socket that the runtime registered under it in
    /// this process may still be in its epoll set.
    /// </summary>
    /// <exception cref="IOException">The duplicate could not be made (out of descriptors); the snapshot keeps its socket.</exception>
    public int TakeSocket()
    {
        var handle = Socket ?? throw new InvalidOperationException("The snapshot's socket was taken already.");
        var fd = Libc.fcntl((int)handle.DangerousGetHandle(), Libc.F_DUPFD_CLOEXEC, 0);
        List<int>? skipped = null;
        while (fd >= 0 && Array.IndexOf(DescriptorsToAvoid, fd) >= 0)
        {
            // Kept open until the loop ends, so the next duplicate gets another number.
            (skipped ??= []).Add(fd);
            fd = Libc.fcntl((int)handle.DangerousGetHandle(), Libc.F_DUPFD_CLOEXEC, 0);
        }

        foreach (var number in skipped ?? [])
        {
            Libc.close(number);
        }

        if (fd < 0)
        {
            throw new IOException($"Cannot duplicate the connection's descriptor: {Libc.Describe(Libc.LastError)}");
        }

        Socket = null;
        handle.Dispose();
        return fd;
    }

    public void Dispose()
    {
        Socket?.Dispose();
        Socket = null;
    }
}
