using System.Globalization;
using System.Text.RegularExpressions;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// What a host says it serves, read from its start-up line
/// "PluggableNet listening on {Address}:{Port}, …, plugin {Plugin} {Version}".
/// </summary>
internal sealed partial record ListeningLine(string Address, int Port, string Plugin, string Version)
{
    public static ListeningLine? Find(string output) =>
        Pattern().Match(output) is { Success: true } match
            ? new ListeningLine(
                match.Groups["address"].Value,
                int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture),
                match.Groups["plugin"].Value,
                match.Groups["version"].Value)
            : null;

    [GeneratedRegex(@"PluggableNet listening on (?<address>[^\s,]+):(?<port>\d+), .*plugin (?<plugin>\S+) (?<version>\S+)")]
    private static partial Regex Pattern();
}
