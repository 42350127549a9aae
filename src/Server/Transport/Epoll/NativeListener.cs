using System.Net;
using System.Net.Sockets;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>A non-blocking listening socket descriptor, shared by every reactor.</summary>
internal static unsafe class NativeListener
{
    public static int Open(IPEndPoint endPoint, int backlog, out IPEndPoint bound)
    {
        var family = endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? Libc.AF_INET6 : Libc.AF_INET;
        var fd = Libc.socket(family, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw Error("socket", Libc.LastError, endPoint);
        }

        try
        {
            var one = 1;
            // SO_REUSEADDR only lets a restart bind past TIME_WAIT; unlike SO_REUSEPORT it never lets a second
            // process share the port, so "address in use" still means what it says.
            Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, &one, sizeof(int));
            Libc.setsockopt(fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, &one, sizeof(int));
            if (family == Libc.AF_INET6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                var zero = 0;
                Libc.setsockopt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, &zero, sizeof(int));
            }

            var address = stackalloc byte[SocketAddressCodec.MaxLength];
            var length = SocketAddressCodec.Write(endPoint, new Span<byte>(address, SocketAddressCodec.MaxLength));
            if (Libc.bind(fd, address, (uint)length) != 0)
            {
                throw Error("bind", Libc.LastError, endPoint);
            }

            if (Libc.listen(fd, backlog) != 0)
            {
                throw Error("listen", Libc.LastError, endPoint);
            }

            var boundLength = (uint)SocketAddressCodec.MaxLength;
            Libc.getsockname(fd, address, &boundLength);
            bound = SocketAddressCodec.Read(new ReadOnlySpan<byte>(address, (int)boundLength)) ?? endPoint;
            return fd;
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    /// <summary>
    /// Takes over an inherited listening socket: non-blocking, as the reactors need, and close-on-exec, so no child
    /// process keeps the port. Closing it later leaves the supervisor's copy, and the kernel's queue, open.
    /// </summary>
    public static int Adopt(InheritedListener inherited)
    {
        var fd = inherited.Fd;
        var flags = Libc.fcntl(fd, Libc.F_GETFL, 0);
        if (flags < 0 || Libc.fcntl(fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK) != 0)
        {
            throw Error("fcntl(O_NONBLOCK)", Libc.LastError, inherited.EndPoint);
        }

        Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);
        return fd;
    }

    private static SocketException Error(string call, int errno, IPEndPoint endPoint) =>
        new(errno == 98 ? (int)SocketError.AddressAlreadyInUse : (int)SocketError.SocketError,
            $"Cannot listen on {endPoint}: {call} failed: {Libc.Describe(errno)}");
}
