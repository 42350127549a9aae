using System.Runtime.InteropServices;

namespace PluggableNet.Server.Interop;

/// <summary>
/// What a path is, without following a symbolic link (<c>lstat</c>), and the open flag that refuses to follow one:
/// the pidfile and control socket checks of a host that may run as root.
/// </summary>
internal static unsafe partial class Libc
{
    public const int O_NOFOLLOW = 0x20000;

    public const uint S_IFMT = 0xF000;
    public const uint S_IFSOCK = 0xC000;
    public const uint S_IFLNK = 0xA000;
    public const uint S_IFREG = 0x8000;
    public const uint S_IFDIR = 0x4000;
    public const uint S_ISVTX = 0x200;
    public const uint S_IWOTH = 0x2;

    /// <summary>
    /// The <c>st_mode</c> (type and permission bits) and <c>st_uid</c> of <paramref name="path"/> itself, a link not
    /// followed; false with errno set when it cannot be read (ENOENT: nothing there).
    /// </summary>
    public static bool TryLStat(string path, out uint mode, out uint uid)
    {
        // struct stat differs by architecture: x64 puts st_nlink (8 bytes) before st_mode, arm64 after it.
        var (modeOffset, uidOffset) = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? (24, 28) : (16, 24);
        var buffer = stackalloc byte[256];
        if (lstat(path, buffer) != 0)
        {
            mode = 0;
            uid = 0;
            return false;
        }

        mode = *(uint*)(buffer + modeOffset);
        uid = *(uint*)(buffer + uidOffset);
        return true;
    }

    /// <summary>
    /// The <c>st_size</c> of <paramref name="path"/> itself, a link not followed (offset 48 on x64 and arm64 alike);
    /// false with errno set when it cannot be read. For <c>/proc/self/fd</c>, Linux 6.2 and later report the
    /// number of open descriptors there; earlier kernels 0.
    /// </summary>
    public static bool TryLStatSize(string path, out long size)
    {
        var buffer = stackalloc byte[256];
        if (lstat(path, buffer) != 0)
        {
            size = 0;
            return false;
        }

        size = *(long*)(buffer + 48);
        return true;
    }

    [LibraryImport(LibraryName, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lstat(string path, byte* buf);
}
