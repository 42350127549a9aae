using PluggableNet.Server;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// The seam for moving established connections in an upgrade (issue 23, part 3). The old host detaches each
/// connection that is between requests as a snapshot (its descriptor and its serialized state: bytes already
/// received, protocol and v2 settings, session state); each travels as one <see cref="HandOverKind.Connection"/>
/// message and the new host adopts it into the endpoint of the same name. Until an implementation is wired in,
/// <see cref="NoConnectionHandOver"/> moves none: every connection finishes on the old host, which drains as on a stop
/// (GOAWAY on v2, the lingering close on v1).
/// </summary>
internal interface IConnectionHandOver
{
    /// <summary>
    /// Old host, after it stopped accepting: detaches the connections of <paramref name="server"/> that are between
    /// requests, as they reach that point, until <paramref name="cancellationToken"/> (the upgrade's deadline). Each
    /// snapshot's descriptor is the caller's to send and then close.
    /// </summary>
    IAsyncEnumerable<ConnectionSnapshot> DetachIdleAsync(PluggableServer server, CancellationToken cancellationToken);

    /// <summary>
    /// New host: serves the connection of <paramref name="snapshot"/> (its descriptor now this process's) on
    /// <paramref name="server"/>. False and a reason when it cannot; the caller then closes the descriptor.
    /// </summary>
    bool Adopt(PluggableServer server, ConnectionSnapshot snapshot, out string? problem);
}

/// <summary>One detached connection: the endpoint it belongs to, its socket, and its state as the connection code serialized it.</summary>
internal sealed record ConnectionSnapshot(string Endpoint, int Fd, byte[] State);
