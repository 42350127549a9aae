using System.Runtime.InteropServices;

namespace PluggableNet.Server.Interop;

/// <summary>The calling thread's kernel id, which names its <c>/proc/self/task/TID</c> files (schedstat, status).</summary>
internal static partial class Libc
{
    [LibraryImport(LibraryName)]
    public static partial int gettid();
}
