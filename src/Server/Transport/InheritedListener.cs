using System.Net;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport;

/// <summary>
/// A listening TCP socket handed to the host already bound (systemd socket activation, fd 3): the transports
/// serve on it instead of binding their own, so a restart never closes the port and the kernel queues new
/// connections while the next host starts.
/// </summary>
/// <param name="Fd">The descriptor, owned by the transport from now on (closing it leaves the supervisor's copy open).</param>
/// <param name="EndPoint">The address the socket is bound to.</param>
/// <param name="Source">Where it came from, for the log: socket activation, or the host this one upgraded.</param>
internal sealed unsafe record InheritedListener(int Fd, IPEndPoint EndPoint, string Source = "socket activation")
{
    /// <summary>
    /// Checks that <paramref name="fd"/> is a listening TCP socket (IPv4 or IPv6) and returns it with its address;
    /// null and the reason otherwise.
    /// </summary>
    public static InheritedListener? Inspect(int fd, out string? problem)
    {
        if (!TryGetOption(fd, Libc.SO_TYPE, out var type, out var errno))
        {
            problem = $"fd {fd} is not a socket ({Libc.Describe(errno)})";
            return null;
        }

        TryGetOption(fd, Libc.SO_DOMAIN, out var domain, out _);
        TryGetOption(fd, Libc.SO_ACCEPTCONN, out var listening, out _);
        if (type != Libc.SOCK_STREAM || domain is not (Libc.AF_INET or Libc.AF_INET6))
        {
            problem = $"fd {fd} is not a TCP socket (domain {domain}, type {type}); use ListenStream= with an IP address and port";
            return null;
        }

        if (listening != 1)
        {
            problem = $"fd {fd} is a TCP socket that is not listening (ListenStream= sockets are; Accept=yes is not supported)";
            return null;
        }

        var address = stackalloc byte[SocketAddressCodec.MaxLength];
        var length = (uint)SocketAddressCodec.MaxLength;
        if (Libc.getsockname(fd, address, &length) != 0 || SocketAddressCodec.Read(new ReadOnlySpan<byte>(address, (int)length)) is not { } endPoint)
        {
            problem = $"fd {fd}: cannot read its address ({Libc.Describe(Libc.LastError)})";
            return null;
        }

        problem = null;
        return new InheritedListener(fd, endPoint);
    }

    private static bool TryGetOption(int fd, int option, out int value, out int errno)
    {
        int result = 0;
        var size = (uint)sizeof(int);
        var ok = Libc.getsockopt(fd, Libc.SOL_SOCKET, option, &result, &size) == 0;
        errno = ok ? 0 : Libc.LastError;
        value = result;
        return ok;
    }
}
