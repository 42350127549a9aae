using System.Runtime.InteropServices;

namespace PluggableNet.Server.Interop;

/// <summary>
/// Descriptors: read, write and close for sockets and eventfds, and the pidfile's own calls (flock on a raw fd,
/// because .NET's FileStream locking would take and drop locks behind our back) and the daemon's redirections.
/// </summary>
internal static unsafe partial class Libc
{
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_APPEND = 0x400;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;

    public const int F_GETFD = 1;
    public const int F_SETFD = 2;
    public const int FD_CLOEXEC = 1;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_DUPFD_CLOEXEC = 1030;

    [LibraryImport(LibraryName, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial nint pwrite(int fd, void* buf, nuint count, long offset);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int fsync(int fd);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int flock(int fd, int operation);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int dup2(int oldfd, int newfd);
}
