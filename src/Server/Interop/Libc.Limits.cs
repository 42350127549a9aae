using System.Runtime.InteropServices;

namespace PluggableNet.Server.Interop;

/// <summary>Resource limits: the open-files limit the host raises to its hard limit at start.</summary>
internal static partial class Libc
{
    /// <summary>RLIMIT_NOFILE on Linux (x64 and arm64).</summary>
    public const int RLIMIT_NOFILE = 7;

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int getrlimit(int resource, out Rlimit limit);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int setrlimit(int resource, in Rlimit limit);

    /// <summary><c>struct rlimit</c>: two <c>rlim_t</c> (unsigned long on 64-bit Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
