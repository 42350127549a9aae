using System.Globalization;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Transport;

namespace PluggableNet.Host.Os;

/// <summary>
/// systemd's socket-activation contract, read once at start-up as <c>sd_listen_fds</c> does: <c>LISTEN_PID</c> (must be
/// this process), <c>LISTEN_FDS</c> (the number of sockets from fd 3 on; the host serves exactly one) and the optional
/// <c>LISTEN_FDNAMES</c>. The variables are removed once read so that no child process takes them as its own.
/// </summary>
internal static class SocketActivation
{
    /// <summary>The first passed descriptor (SD_LISTEN_FDS_START).</summary>
    public const int FirstFd = 3;

    private const string ListenPid = "LISTEN_PID";
    private const string ListenFds = "LISTEN_FDS";
    private const string ListenFdNames = "LISTEN_FDNAMES";

    /// <summary>
    /// The inherited listener, or null when the host was not socket-activated. Throws <see cref="ConfigurationException"/>
    /// (exit 2) when the variables are present but do not describe one listening TCP socket passed to this process.
    /// </summary>
    public static InheritedListener? Take()
    {
        var fds = Environment.GetEnvironmentVariable(ListenFds);
        var pid = Environment.GetEnvironmentVariable(ListenPid);
        var names = Environment.GetEnvironmentVariable(ListenFdNames);
        Environment.SetEnvironmentVariable(ListenFds, null);
        Environment.SetEnvironmentVariable(ListenPid, null);
        Environment.SetEnvironmentVariable(ListenFdNames, null);
        if (fds is null)
        {
            // As sd_listen_fds: no LISTEN_FDS, no activation (a stray LISTEN_PID alone means nothing).
            return null;
        }

        if (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var forPid) || forPid != Environment.ProcessId)
        {
            throw Invalid($"LISTEN_PID={pid ?? "(unset)"} is not this process ({Environment.ProcessId}): the socket was passed to another process; exec the host directly (no wrapper that forks)");
        }

        if (!int.TryParse(fds, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count != 1)
        {
            throw Invalid($"LISTEN_FDS={fds ?? "(unset)"}: the host serves exactly one inherited socket (one ListenStream= in the .socket unit)");
        }

        return InheritedListener.Inspect(FirstFd, out var problem)
            ?? throw Invalid($"LISTEN_FDS=1{(string.IsNullOrEmpty(names) ? string.Empty : $" ({names})")}: {problem}");
    }

    private static ConfigurationException Invalid(string message) => new([message]);
}
