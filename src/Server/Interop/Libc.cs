using System.Runtime.InteropServices;

namespace PluggableNet.Server.Interop;

/// <summary>
/// Every libc call the host makes, one partial file per group of entry points (sockets, epoll, files,
/// processes) and the errno names in <c>Libc.Errno.cs</c>. Linux only; the constants have the same values on x64
/// and arm64. Nothing is declared that nothing uses.
/// </summary>
internal static partial class Libc
{
    private const string LibraryName = "libc";

    /// <summary>The errno of the last call declared with <c>SetLastError</c> on this thread.</summary>
    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
