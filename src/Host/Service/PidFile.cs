using System.Globalization;
using System.Text;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Interop;
using PluggableNet.Server.Reload;

namespace PluggableNet.Host.Service;

/// <summary>
/// The host's pidfile, held under an exclusive <c>flock</c> for the host's whole life. The lock, not the file's
/// existence, says "running": a file left by a host that died (even by <c>kill -9</c>) is unlocked, so the next
/// host reports it as stale and takes it over, and two hosts can never both hold it.
/// </summary>
internal sealed class PidFile : IDisposable
{
    private int _fd;

    private PidFile(string path, int fd, int? stalePid)
    {
        Path = path;
        _fd = fd;
        StalePid = stalePid;
    }

    public string Path { get; }

    /// <summary>The pid a previous, dead host left in the file, if there was one.</summary>
    public int? StalePid { get; }

    /// <summary>
    /// Locks the pidfile and writes our pid into it. Returns null when another live process holds the lock;
    /// <paramref name="holder"/> is then the pid that process wrote (or null if it has not yet written one).
    /// </summary>
    public static PidFile? TryAcquire(string path, out int? holder)
    {
        path = System.IO.Path.GetFullPath(path);
        // Private to the owner when we create it (the pidfile itself stays world-readable, like nginx's).
        PrivatePaths.EnsureDirectory(System.IO.Path.GetDirectoryName(path)!);
        if (PrivatePaths.SharedDirectoryProblem(path) is { } problem)
        {
            throw new IOException($"Pidfile {problem}");
        }

        // A few rounds only for the unlink race described below; each round is a handful of syscalls.
        for (var attempt = 0; ; attempt++)
        {
            // O_NOFOLLOW: run as root, a link planted here would otherwise get its target truncated to our pid.
            var fd = Libc.open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0b110_100_100);
            if (fd < 0)
            {
                var errno = Libc.LastError;
                throw errno == Libc.ELOOP
                    ? new IOException($"Pidfile {path} is a symbolic link; refusing to follow it (remove it, or choose another --pidfile)")
                    : Failure("open", path, errno);
            }

            if (Libc.flock(fd, Libc.LOCK_EX | Libc.LOCK_NB) != 0)
            {
                var errno = Libc.LastError;
                var text = ReadAll(fd);
                Libc.close(fd);
                if (errno != Libc.EWOULDBLOCK)
                {
                    throw Failure("flock", path, errno);
                }

                holder = ParsePid(text);
                return null;
            }

            // The previous holder may have unlinked the file between our open and our lock; we would then hold a
            // lock on a file nobody can find. Start over on the path as it is now.
            if (IsUnlinked(fd) && attempt < 5)
            {
                Libc.close(fd);
                continue;
            }

            var previous = ParsePid(ReadAll(fd));
            var pidFile = new PidFile(path, fd, previous is { } p && p != Environment.ProcessId ? p : null);
            pidFile.WritePid();
            holder = null;
            return pidFile;
        }
    }

    /// <summary>The pid recorded in <paramref name="path"/>, or null if there is no file or no number in it.</summary>
    /// <remarks>Read through a raw fd: a .NET FileStream would try a shared flock and fail while the host holds its lock.</remarks>
    public static int? ReadPid(string path)
    {
        var fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            return ParsePid(ReadAll(fd));
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /// <summary>
    /// Removes a pidfile nobody holds (its host died). Returns false, leaving it alone, if a live process holds it.
    /// </summary>
    public static bool TryRemoveStale(string path)
    {
        var fd = Libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0);
        if (fd < 0)
        {
            return true;
        }

        try
        {
            if (Libc.flock(fd, Libc.LOCK_EX | Libc.LOCK_NB) != 0)
            {
                return false;
            }

            // Unlinked while locked, so a host starting right now either sees it gone or fails on our lock.
            if (!IsUnlinked(fd))
            {
                File.Delete(path);
            }

            return true;
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /// <summary>
    /// Lets go of the lock and leaves the file for the host that upgrades this one, which locks it and writes its own
    /// pid; this host's later dispose then touches nothing.
    /// </summary>
    public void Release()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Libc.close(fd);
        }
    }

    /// <summary>Removes the file, then releases the lock (closing the fd), in that order.</summary>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd < 0)
        {
            return;
        }

        try
        {
            // Someone deleted our file and another host may own the path now: leave theirs alone.
            if (!IsUnlinked(fd))
            {
                File.Delete(Path);
            }
        }
        catch (IOException)
        {
            // Best effort: the next host reports the leftover file as stale and takes it over.
        }
        finally
        {
            Libc.close(fd);
        }
    }

    private unsafe void WritePid()
    {
        var bytes = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        if (Libc.ftruncate(_fd, 0) != 0)
        {
            throw Failure("ftruncate", Path);
        }

        fixed (byte* data = bytes)
        {
            if (Libc.pwrite(_fd, data, (nuint)bytes.Length, 0) != bytes.Length)
            {
                throw Failure("write", Path);
            }
        }

        Libc.fsync(_fd);
    }

    private static unsafe string ReadAll(int fd)
    {
        // A pid is at most 7 digits; anything longer than this buffer is not a pidfile we wrote.
        Span<byte> buffer = stackalloc byte[64];
        var length = 0;
        fixed (byte* data = buffer)
        {
            while (length < buffer.Length)
            {
                var read = Libc.read(fd, data + length, (nuint)(buffer.Length - length));
                if (read < 0 && Libc.LastError == Libc.EINTR)
                {
                    continue;
                }

                if (read <= 0)
                {
                    break;
                }

                length += (int)read;
            }
        }

        return Encoding.ASCII.GetString(buffer[..length]);
    }

    private static int? ParsePid(string text) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;

    /// <summary>Whether the file behind <paramref name="fd"/> has been unlinked (Linux marks it in /proc).</summary>
    private static bool IsUnlinked(int fd)
    {
        var target = OpenDescriptors.Target(fd);
        return target is null || target.EndsWith(" (deleted)", StringComparison.Ordinal);
    }

    private static IOException Failure(string call, string path, int? errno = null)
    {
        var error = errno ?? Libc.LastError;
        return new IOException($"Pidfile {path}: {call} failed: {Libc.Describe(error)}");
    }
}
