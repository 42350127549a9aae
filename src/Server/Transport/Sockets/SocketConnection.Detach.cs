using System.Net.Sockets;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Connections.Handover;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// Leaving for another server (issue 23): the loop, woken out of its receive, ends without closing the socket once the
/// machine says <see cref="ConnectionStep.Detach"/>; the snapshot owns the socket from then on, and disposing it
/// closes only this copy of the descriptor.
/// </summary>
internal sealed partial class SocketConnection
{
    private volatile bool _detachRequested;
    private bool _detached;

    /// <summary>Any thread: a detach batch opened; the loop leaves whatever receive it waits in and looks at the machine's step.</summary>
    public void RequestDetach()
    {
        if (tls is not null)
        {
            // SslStream's state cannot be exported: a TLS connection finishes on this host.
            return;
        }

        _detachRequested = true;
        Volatile.Read(ref _idleReceive).Cancel();
        Wake();
    }

    /// <summary>
    /// On the loop, after a detach cancelled the receive of a connection nothing else wakes (v1 without a session): the
    /// token stays cancelled, so a connection that does not leave now (the batch closed) needs a fresh one.
    /// </summary>
    private void RenewReceiveCancellation()
    {
        _idleInReceive = false;
        Volatile.Write(ref _idleReceive, new CancellationTokenSource());
        if (AbortReason != CloseReason.None)
        {
            // An abort that read the old source meanwhile would be lost otherwise.
            Volatile.Read(ref _idleReceive).Cancel();
        }

        // The old source is not disposed: Abort or RequestDetach may still cancel it from another thread (a no-op then).
    }

    /// <summary>On the loop, when the step is <see cref="ConnectionStep.Detach"/>: false when the connection stays after all.</summary>
    private bool TryDetach()
    {
        if (Machine.Detach(Environment.TickCount64, out var request) is not { } snapshot)
        {
            return false;
        }

        // Nothing is pending on the socket (the loop is here, not in a receive). It stays open, owned by the snapshot,
        // until its holder has duplicated the descriptor (SocketOwnerHandle says why); then disposing it closes only
        // this copy: no FIN, no RST.
        _detached = true;
        snapshot.Socket = new SocketOwnerHandle(socket);
        snapshot.DescriptorsToAvoid = [.. Machine.DescriptorsToAvoid, (int)socket.SafeHandle.DangerousGetHandle()];
        lifecycle.Detached(Machine, snapshot, request);
        return true;
    }
}
