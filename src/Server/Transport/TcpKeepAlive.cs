using System.Net.Sockets;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport;

/// <summary>
/// TCP keep-alive for accepted connections (<c>Limits:TcpKeepAlive*</c>), as nginx's <c>so_keepalive=idle:interval:count</c>:
/// any part above 0 turns SO_KEEPALIVE on, and a part left at 0 keeps the kernel's value. All 0 (the default) leaves
/// keep-alive off. Applied by both transports right after accept, the one way each sets a socket option.
/// </summary>
internal readonly record struct TcpKeepAlive(int TimeSeconds, int IntervalSeconds, int Count)
{
    /// <summary>The largest TCP_KEEPIDLE and TCP_KEEPINTVL Linux accepts (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL).</summary>
    public const int MaxSeconds = 32767;

    /// <summary>The largest TCP_KEEPCNT Linux accepts (MAX_TCP_KEEPCNT).</summary>
    public const int MaxCount = 127;

    public bool IsOn => TimeSeconds > 0 || IntervalSeconds > 0 || Count > 0;

    /// <summary>Sets the options on an accepted descriptor (epoll). A failure leaves the connection as it was: keep-alive is advisory.</summary>
    public unsafe void ApplyTo(int fd)
    {
        if (!IsOn)
        {
            return;
        }

        var on = 1;
        Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_KEEPALIVE, &on, sizeof(int));
        Set(fd, Libc.TCP_KEEPIDLE, TimeSeconds);
        Set(fd, Libc.TCP_KEEPINTVL, IntervalSeconds);
        Set(fd, Libc.TCP_KEEPCNT, Count);

        static void Set(int fd, int option, int value)
        {
            if (value > 0)
            {
                Libc.setsockopt(fd, Libc.IPPROTO_TCP, option, &value, sizeof(int));
            }
        }
    }

    /// <summary>Sets the options on an accepted <see cref="Socket"/> (the Sockets transport).</summary>
    public void ApplyTo(Socket socket)
    {
        if (!IsOn)
        {
            return;
        }

        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        if (TimeSeconds > 0)
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, TimeSeconds);
        }

        if (IntervalSeconds > 0)
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, IntervalSeconds);
        }

        if (Count > 0)
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, Count);
        }
    }
}
