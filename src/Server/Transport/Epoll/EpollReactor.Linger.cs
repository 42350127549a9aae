using System.Runtime.InteropServices;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>The lingering close (<see cref="LingeringClose"/>): FIN sent, the peer's remaining bytes read and dropped.</summary>
internal sealed unsafe partial class EpollReactor
{
    private const int DiscardChunk = 4096;

    /// <summary>Sends FIN and starts discarding; false when the peer is already done (or over budget), so the caller closes now.</summary>
    private bool StartLingering(EpollConnection connection)
    {
        if (Libc.shutdown(connection.Fd, Libc.SHUT_WR) != 0 || !DiscardInput(connection))
        {
            return false;
        }

        // Still counted as open until it goes, so a drain waits for it (bounded by LingeringClose.TimeoutMs).
        connection.LingerUntil = Environment.TickCount64 + LingeringClose.TimeoutMs;
        connection.Interest = Libc.EPOLLIN;
        EpollEvents.Control(_epfd, Libc.EPOLL_CTL_MOD, connection.Fd, Libc.EPOLLIN, connection.Token);
        return true;
    }

    /// <summary>Readable while lingering: drop what came; close once the peer ends, fails or spends the budget.</summary>
    private void Linger(EpollConnection connection)
    {
        if (!DiscardInput(connection))
        {
            Release(connection);
        }
    }

    /// <summary>Reads and drops everything the kernel holds; true while the peer may still send.</summary>
    private static bool DiscardInput(EpollConnection connection)
    {
        var scratch = stackalloc byte[DiscardChunk];
        while (true)
        {
            var received = Libc.recv(connection.Fd, scratch, DiscardChunk, 0);
            if (received > 0)
            {
                connection.Discarded += (int)received;
                if (connection.Discarded > LingeringClose.MaxDiscardBytes)
                {
                    return false;
                }

                continue;
            }

            if (received == 0)
            {
                return false;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (!SocketErrors.IsRetry(errno))
            {
                return SocketErrors.IsWouldBlock(errno);
            }
        }
    }
}
