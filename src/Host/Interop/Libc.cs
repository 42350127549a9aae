using System.Runtime.InteropServices;

namespace PluggableNet.Host.Interop;

/// <summary>The libc calls the epoll transport needs, and nothing else. Linux only.</summary>
internal static unsafe partial class Libc
{
    private const string LibraryName = "libc";

    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_REUSEADDR = 2;
    public const int SO_ERROR = 4;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;
    public const int IPPROTO_IPV6 = 41;
    public const int IPV6_V6ONLY = 26;
    public const int MSG_PEEK = 0x2;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int SHUT_WR = 1;

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLEXCLUSIVE = 1u << 28;

    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int EPIPE = 32;
    public const int ENOBUFS = 105;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, void* @event);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int epoll_wait(int epfd, void* events, int maxevents, int timeout);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int setsockopt(int sockfd, int level, int optname, void* optval, uint optlen);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int getsockopt(int sockfd, int level, int optname, void* optval, uint* optlen);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int bind(int sockfd, void* addr, uint addrlen);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int listen(int sockfd, int backlog);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int getsockname(int sockfd, void* addr, uint* addrlen);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int accept4(int sockfd, void* addr, uint* addrlen, int flags);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial nint recv(int sockfd, void* buf, nuint len, int flags);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial nint send(int sockfd, void* buf, nuint len, int flags);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int shutdown(int sockfd, int how);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int close(int fd);

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
