using System.Runtime.InteropServices;

namespace PluggableNet.Server.Interop;

/// <summary>Signals to a running host, and the daemon's new session.</summary>
internal static partial class Libc
{
    public const int SIGHUP = 1;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    /// <summary><c>SIG_DFL</c>: the signal's default action.</summary>
    public const nint SIG_DFL = 0;

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int setsid();

    [LibraryImport(LibraryName)]
    public static partial uint geteuid();

    /// <summary>Sets a signal's disposition; returns the previous one.</summary>
    [LibraryImport(LibraryName)]
    public static partial nint signal(int sig, nint handler);
}
