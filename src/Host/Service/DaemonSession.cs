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
/// The daemon's side of <c>start</c>: leave the launching terminal's session and let go of its streams. .NET cannot
/// fork a running runtime, so instead of nbNet's double fork the launcher starts a fresh process and this runs first
/// thing in it: <c>setsid()</c> (no controlling terminal, so closing the terminal sends no SIGHUP and Ctrl+C there
/// does not reach us), stdin from /dev/null, stdout and stderr appended to the console file.
/// </summary>
internal static class DaemonSession
{
    /// <summary>The hidden option that tells <c>run</c> it is the daemon a <c>start</c> launched.</summary>
    public const string DaemonOption = "--daemon";

    /// <summary>The argument <c>start</c> puts right after <c>run</c>: <c>--daemon=CONSOLEFILE</c>.</summary>
    public const string OptionPrefix = DaemonOption + "=";

    public static bool IsDetached { get; private set; }

    /// <summary>
    /// Detaches at once when the arguments are those of a daemon (<c>run --daemon=FILE …</c>, exactly as the
    /// launcher writes them). Runs before the command-line parser, because .NET's console streams keep their own
    /// duplicate of fds 1 and 2 once opened, and those duplicates would hold the launching terminal or pipe open.
    /// </summary>
    public static void DetachIfDaemon(string[] args)
    {
        if (OperatingSystem.IsLinux() && args is ["run", var option, ..] && option.StartsWith(OptionPrefix, StringComparison.Ordinal))
        {
            Detach(option[OptionPrefix.Length..]);
        }
    }

    public static void Detach(string consoleFile)
    {
        if (IsDetached)
        {
            return;
        }

        // Fails with EPERM only if we already lead a process group, which a freshly spawned child never does.
        _ = Libc.setsid();

        // The log directory: private, and the capture owner-only, as the log files beside it are.
        PrivatePaths.EnsureDirectory(Path.GetDirectoryName(consoleFile)!);
        var devNull = Libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        var output = Libc.open(consoleFile, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0b110_000_000);
        if (devNull < 0 || output < 0)
        {
            throw new IOException($"Cannot redirect the daemon's output to {consoleFile}: {Libc.Describe(Libc.LastError)}");
        }

        // The runtime keeps its own duplicates of fds 0-2 from startup (CoreCLR's PAL standard handles). Any that
        // refer to the launcher's terminal, pipe or socket would keep it open for the daemon's whole life.
        var copies = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var fd = 0; fd <= 2; fd++)
        {
            if (OpenDescriptors.Target(fd) is { } target && IsStream(target))
            {
                copies[target] = fd == 0 ? devNull : output;
            }
        }

        // Redirected rather than closed, as nbNet's tutorial explains: a later write to a closed fd 1 or 2 would land
        // in whatever file happened to reuse that number.
        Libc.dup2(devNull, 0);
        Libc.dup2(output, 1);
        Libc.dup2(output, 2);
        foreach (var fd in OpenDescriptors.List().Where(fd => fd > 2 && fd != devNull && fd != output))
        {
            if (OpenDescriptors.Target(fd) is { } target && copies.TryGetValue(target, out var replacement))
            {
                Libc.dup2(replacement, fd);
            }
        }

        Libc.close(devNull);
        Libc.close(output);

        // In case anything did open the console streams already: point them at the new fds 1 and 2.
        Console.SetOut(new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true });
        Console.SetError(new StreamWriter(Console.OpenStandardError()) { AutoFlush = true });
        IsDetached = true;
    }

    /// <summary>Terminals, pipes and sockets: what a launcher waits on, unlike a plain file.</summary>
    private static bool IsStream(string target) =>
        target.StartsWith("pipe:", StringComparison.Ordinal) || target.StartsWith("socket:", StringComparison.Ordinal)
        || target.StartsWith("/dev/pts/", StringComparison.Ordinal) || target.StartsWith("/dev/tty", StringComparison.Ordinal);
}
