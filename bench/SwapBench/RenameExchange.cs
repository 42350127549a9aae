using System.Runtime.InteropServices;

namespace PluggableNet.Bench.SwapBench;

/// <summary>Linux's <c>renameat2(RENAME_EXCHANGE)</c>: two paths swapped atomically.</summary>
internal static partial class RenameExchange
{
    private const int AtCurrentDirectory = -100;
    private const uint Flag = 2;

    public static int Exchange(string first, string second) => renameat2(AtCurrentDirectory, first, AtCurrentDirectory, second, Flag);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);
}
