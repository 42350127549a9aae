using System.Globalization;
using PluggableNet.Host.Control;
using PluggableNet.Host.Service;
using PluggableNet.Server;

namespace PluggableNet.Host.Cli;

/// <summary>
/// How <c>status</c>, <c>reload</c> and <c>stop</c> find the host they act on. A pidfile or <c>Control:Socket</c> given
/// on the command line (or in the configuration) names exactly one control socket, as before. With neither, every
/// socket in <see cref="ServiceSettings.ControlDirectory"/> is asked — the background host's <c>pluggablenet.sock</c>
/// and each foreground host's <c>&lt;port&gt;.sock</c> — so a host started with no options is found with no options.
/// </summary>
internal static class HostLocator
{
    private static readonly TimeSpan s_queryTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The hosts that answer, restricted to those listening on <paramref name="port"/> when it is given. Sockets nobody
    /// answers on (a host that was killed) are skipped. Without <paramref name="discover"/> only the configured (or
    /// default) pidfile's socket is asked.
    /// </summary>
    public static async Task<IReadOnlyList<Located>> FindAsync(ServiceSettings service, int? port, bool discover = true)
    {
        var candidates = new List<string> { service.ControlSocket };
        if (discover && !service.PidFileConfigured && !service.ControlSocketConfigured)
        {
            candidates.AddRange(SocketsIn(service.ControlDirectory));
        }

        // A status is taken only from the process it names: the verbs signal that pid, and a socket in the directory
        // could be anyone's that can write there.
        var answers = await Task.WhenAll(candidates.Distinct(StringComparer.Ordinal).Select(async socket =>
            await ControlChannel.QueryWithPeerAsync(socket, s_queryTimeout).ConfigureAwait(false) is ({ } status, var peer) && (peer is null || peer == status.Pid)
                ? new Located(socket, status)
                : null)).ConfigureAwait(false);
        return [.. answers.OfType<Located>().Where(l => port is null || l.Status.Port == port).DistinctBy(l => l.Status.Pid)];
    }

    /// <summary>
    /// For several hosts: the list, and how to pick one. Printed on stderr by the verb, which then exits with 2
    /// (acting on a guess could stop the wrong server).
    /// </summary>
    public static string DescribeChoice(IReadOnlyList<Located> hosts, string verb)
    {
        var lines = hosts.Select(h => string.Create(
            CultureInfo.InvariantCulture,
            $"  pid {h.Status.Pid,-8} {ServiceCommand.FormatEndPoint(h.Status),-22} {h.Status.Plugin} {h.Status.PluginVersion,-10} {h.ControlSocket}"));
        return $"{hosts.Count} hosts are running; choose one with '{verb} --port PORT' (or --Control:Socket PATH):{Environment.NewLine}"
            + string.Join(Environment.NewLine, lines);
    }

    private static IEnumerable<string> SocketsIn(string directory)
    {
        try
        {
            return Directory.Exists(directory) ? Directory.GetFiles(directory, "*.sock").Order(StringComparer.Ordinal).ToList() : [];
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>A host that answered on <paramref name="ControlSocket"/>, with what it said.</summary>
    internal sealed record Located(string ControlSocket, ServerStatus Status);
}
