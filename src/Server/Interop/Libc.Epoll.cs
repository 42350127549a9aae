using System.Runtime.InteropServices;

namespace PluggableNet.Server.Interop;

/// <summary>epoll and the eventfd that wakes a reactor.</summary>
internal static unsafe partial class Libc
{
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLEXCLUSIVE = 1u << 28;

    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, void* @event);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int epoll_wait(int epfd, void* events, int maxevents, int timeout);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);
}
