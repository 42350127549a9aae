using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Interop;
using PluggableNet.Server.Transport;

namespace PluggableNet.Host.Os;

/// <summary>
/// The rules for the files a host that may run as root creates: its directories are private (0700), and a pidfile
/// or socket is never put where another user can swap it for something else.
/// </summary>
internal static class PrivatePaths
{
    /// <summary>Creates <paramref name="directory"/> (and missing parents) readable by the owner only; an existing one is left as it is.</summary>
    public static void EnsureDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }

        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>
    /// Why <paramref name="path"/> must not be used, or null: its directory is writable by every user without the
    /// sticky bit (that /tmp has), so anyone could delete our file and plant a link or a file of theirs in its place.
    /// </summary>
    public static string? SharedDirectoryProblem(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return OperatingSystem.IsLinux() && Libc.TryLStat(directory, out var mode, out _)
            && (mode & Libc.S_IWOTH) != 0 && (mode & Libc.S_ISVTX) == 0
            ? $"{path} is in {directory}, which every user may write to and which has no sticky bit, so anyone could replace the file; use a private directory"
            : null;
    }
}
