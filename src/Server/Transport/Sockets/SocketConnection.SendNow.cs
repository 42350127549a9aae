using System.Net.Sockets;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>The send a woken connection tries first: one syscall, no async operation around it.</summary>
internal sealed partial class SocketConnection
{
    /// <summary>
    /// A plain connection's send without the async machinery (its socket is non-blocking, see <see cref="RunAsync"/>):
    /// one syscall where SendAsync costs an operation's bookkeeping around the same attempt, once per push delivered
    /// to each member of a broadcast. False when the kernel takes nothing now (the awaited send waits) or on TLS.
    /// </summary>
    private bool TrySendNow(out int sent)
    {
        sent = 0;
        if (!UsesReadiness)
        {
            return false;
        }

        sent = socket.Send(Machine.PendingOutput, SocketFlags.None, out var error);
        if (error == SocketError.Success)
        {
            return true;
        }

        if (error == SocketError.WouldBlock)
        {
            sent = 0;
            return false;
        }

        throw new SocketException((int)error);
    }
}
