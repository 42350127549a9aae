using System.Net.Sockets;
using System.Runtime.CompilerServices;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Connections.Handover;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// Leaving for another server (issue 23): the loop, woken out of its receive, ends without closing the socket once the
/// machine says <see cref="ConnectionStep.Detach"/>; the snapshot gets a duplicate of the descriptor and the
/// <see cref="Socket"/> is disposed, which closes only this process's copy.
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
    /// The receive of a connection nothing else wakes (v1 without a session): as before, an idle one first waits with a
    /// zero-byte receive holding no buffer. Both receives end when a detach is asked: null then.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int?> ReceiveUnlessDetachingAsync()
    {
        var cancel = Volatile.Read(ref _idleReceive);
        try
        {
            if (Machine.IsIdle)
            {
                // Wait for data before renting a buffer, as Kestrel does: an idle connection holds none.
                _idleInReceive = true;
                await ReceiveAsync(Memory<byte>.Empty, cancel.Token).ConfigureAwait(false);
                _idleInReceive = false;
            }

            // Abort cancels only an idle receive (_idleInReceive), so this one ends for a detach alone.
            return await ReceiveAsync(Machine.GetReceiveMemory(), cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_detachRequested && AbortReason == CloseReason.None)
        {
            _idleInReceive = false;

            // The token stays cancelled: a connection that does not leave now (the batch closed) needs a fresh one.
            Volatile.Write(ref _idleReceive, new CancellationTokenSource());
            if (AbortReason != CloseReason.None)
            {
                // An abort that read the old source meanwhile would be lost otherwise.
                Volatile.Read(ref _idleReceive).Cancel();
            }

            cancel.Dispose();
            return null;
        }
    }

    /// <summary>On the loop, when the step is <see cref="ConnectionStep.Detach"/>: false when the connection stays after all.</summary>
    private bool TryDetach()
    {
        if (Machine.Detach(Environment.TickCount64, out var request) is not { } snapshot)
        {
            return false;
        }

        // Nothing is pending on the socket (the loop is here, not in a receive): disposing it closes only this
        // descriptor, with no FIN, no RST; the duplicate keeps the connection open.
        var fd = Libc.fcntl((int)socket.SafeHandle.DangerousGetHandle(), Libc.F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
        {
            // The machine gave its state away already: it can only close, as our failure.
            Machine.FailInternally($"detach: fcntl(F_DUPFD_CLOEXEC): {Libc.Describe(Libc.LastError)}");
            request.Abandon();
            return false;
        }

        _detached = true;
        socket.Dispose();
        snapshot.Socket = new DescriptorHandle(fd);
        lifecycle.Detached(Machine, snapshot, request);
        return true;
    }
}
