using System.Reflection;

namespace PluggableNet.Host.Service;

/// <summary>
/// Answers "is pid N a live PluggableNet host?" from /proc, so a pidfile left behind by a dead host (or whose pid
/// the kernel has since given to an unrelated process) is recognised as stale.
/// </summary>
internal static class HostProcessProbe
{
    /// <summary>File names that identify this host in a command line: the entry assembly and the apphost.</summary>
    private static readonly string[] s_identities = BuildIdentities();

    /// <summary>True while <paramref name="pid"/> exists and is not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        try
        {
            // The state follows the parenthesised command name, which may itself contain spaces or parentheses.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var end = stat.LastIndexOf(')');
            return end >= 0 && end + 2 < stat.Length && stat[end + 2] is not ('Z' or 'X' or 'x');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="pid"/> is alive and its command line runs this host.</summary>
    public static bool IsRunningHost(int pid) => IsAlive(pid) && IsHostCommandLine(pid);

    private static bool IsHostCommandLine(int pid)
    {
        string cmdline;
        try
        {
            cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // argv is NUL-separated; the host is either argv[0] (apphost) or an argument of dotnet.
        foreach (var argument in cmdline.Split('\0', StringSplitOptions.RemoveEmptyEntries).Take(4))
        {
            var name = Path.GetFileName(argument);
            if (s_identities.Any(identity => string.Equals(name, identity, StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="processPath"/> is the <c>dotnet</c> muxer rather than the host's apphost.</summary>
    public static bool IsDotnetMuxer(string processPath) =>
        string.Equals(Path.GetFileNameWithoutExtension(processPath), "dotnet", StringComparison.OrdinalIgnoreCase);

    private static string[] BuildIdentities()
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "PluggableNet.Host", "PluggableNet.Host.dll" };

        // A renamed apphost (say /usr/local/bin/pluggablenet) also identifies us, but only when we are the host.
        var entry = Assembly.GetEntryAssembly()?.GetName().Name;
        if (entry == "PluggableNet.Host" && Environment.ProcessPath is { } processPath && !IsDotnetMuxer(processPath))
        {
            names.Add(Path.GetFileName(processPath));
        }

        return [.. names];
    }
}
