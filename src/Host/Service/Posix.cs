using System.Runtime.InteropServices;

namespace PluggableNet.Host.Service;

/// <summary>
/// The few libc calls the service commands need: pidfile locking (flock on a raw fd, because .NET's own
/// FileStream locking would take and drop locks behind our back), signals, and detaching from the terminal.
/// Linux only; the constants below have the same values on x64 and arm64.
/// </summary>
internal static partial class Posix
{
    private const string LibraryName = "libc";

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_APPEND = 0x400;
    public const int O_CLOEXEC = 0x80000;

    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;

    public const int F_GETFD = 1;
    public const int F_SETFD = 2;
    public const int FD_CLOEXEC = 1;

    public const int SIGHUP = 1;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    public const int EPERM = 1;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EWOULDBLOCK = 11;

    [LibraryImport(LibraryName, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport(LibraryName, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(LibraryName, EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(LibraryName, EntryPoint = "pwrite", SetLastError = true)]
    public static unsafe partial nint PWrite(int fd, byte* buffer, nint count, long offset);

    [LibraryImport(LibraryName, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int FTruncate(int fd, long length);

    [LibraryImport(LibraryName, EntryPoint = "fsync", SetLastError = true)]
    public static partial int FSync(int fd);

    [LibraryImport(LibraryName, EntryPoint = "flock", SetLastError = true)]
    public static partial int FLock(int fd, int operation);

    [LibraryImport(LibraryName, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(LibraryName, EntryPoint = "dup2", SetLastError = true)]
    public static partial int Dup2(int oldFd, int newFd);

    [LibraryImport(LibraryName, EntryPoint = "setsid", SetLastError = true)]
    public static partial int SetSid();

    [LibraryImport(LibraryName, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport(LibraryName, EntryPoint = "geteuid")]
    public static partial uint GetEUid();

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
