using System.Runtime.InteropServices;

namespace PluggableNet.Server.Interop;

/// <summary>Plugin worker processes: the socket pair to one, its death signal and its memory limit.</summary>
internal static unsafe partial class Libc
{
    public const int AF_UNIX = 1;

    /// <summary><c>PR_SET_PDEATHSIG</c>: the signal this process gets when the thread that forked it ends.</summary>
    public const int PR_SET_PDEATHSIG = 1;

    /// <summary>RLIMIT_AS on Linux (x64 and arm64).</summary>
    public const int RLIMIT_AS = 9;

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* fds);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport(LibraryName)]
    public static partial int getppid();

    [LibraryImport(LibraryName)]
    public static partial int getpid();

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int prlimit(int pid, int resource, in Rlimit newLimit, out Rlimit oldLimit);
}
