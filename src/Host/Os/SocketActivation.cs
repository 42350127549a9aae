using System.Globalization;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Transport;

namespace PluggableNet.Host.Os;

/// <summary>
/// systemd's socket-activation contract, read once at start-up as <c>sd_listen_fds</c> does: <c>LISTEN_PID</c> (must be
/// this process), <c>LISTEN_FDS</c> (the number of sockets from fd 3 on) and <c>LISTEN_FDNAMES</c> (their names,
/// colon-separated: <c>FileDescriptorName=</c>), each socket given to the endpoint of its name. The variables are
/// removed once read so that no child process takes them as its own.
/// </summary>
internal static class SocketActivation
{
    /// <summary>The first passed descriptor (SD_LISTEN_FDS_START).</summary>
    public const int FirstFd = 3;

    private const string ListenPid = "LISTEN_PID";
    private const string ListenFds = "LISTEN_FDS";
    private const string ListenFdNames = "LISTEN_FDNAMES";

    // systemd passes at most a few per unit; a bound keeps a garbled variable from walking the descriptor table.
    private const int MaxFds = 1024;

    /// <summary>
    /// The inherited listeners by endpoint, or null when the host was not socket-activated. Throws
    /// <see cref="ConfigurationException"/> (exit 2) when the variables are present but do not describe listening TCP
    /// sockets passed to this process, one named after each of <paramref name="endpoints"/> (or one socket for one endpoint).
    /// </summary>
    public static InheritedListeners? Take(IReadOnlyList<string> endpoints)
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

        if (!int.TryParse(fds, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1 || count > MaxFds)
        {
            throw Invalid($"LISTEN_FDS={fds ?? "(unset)"}: not a number of sockets from 1 to {MaxFds} (one ListenStream= per endpoint's .socket unit)");
        }

        var named = names?.Split(':') ?? [];
        var passed = new List<(string? Name, InheritedListener Listener)>(count);
        var problems = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = i < named.Length && named[i].Length > 0 ? named[i] : null;
            if (InheritedListener.Inspect(FirstFd + i, out var problem) is { } listener)
            {
                passed.Add((name, listener));
            }
            else
            {
                problems.Add($"LISTEN_FDS={count}{(name is null ? string.Empty : $" ({name})")}: {problem}");
            }
        }

        if (problems.Count > 0)
        {
            throw new ConfigurationException(problems);
        }

        var inherited = InheritedListeners.Match(passed, endpoints, out var errors);
        return errors.Count > 0 ? throw new ConfigurationException(errors) : inherited;
    }

    private static ConfigurationException Invalid(string message) => new([message]);
}
