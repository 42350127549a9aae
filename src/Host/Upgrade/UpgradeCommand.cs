using System.Globalization;
using PluggableNet.Host.Control;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// The control socket's <c>upgrade SECONDS [BINARY]</c> command: the <c>upgrade</c> verb's request, answered with
/// one JSON line once the new host serves or this one gave up. A successful upgrade starts this host's drain once
/// the answer is sent.
/// </summary>
internal static class UpgradeCommand
{
    public const string Name = "upgrade";

    public static string Format(TimeSpan timeout, string? binary) =>
        $"{Name} {((int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture)}{(binary is null ? string.Empty : " " + binary)}";

    public static async Task<ControlAnswer> AnswerAsync(UpgradeCoordinator coordinator, string command)
    {
        var parts = command.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || parts[0] != Name || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
        {
            return new("{\"error\":\"unknown command; try status\"}");
        }

        var result = await coordinator.UpgradeAsync(parts.Length > 2 ? parts[2] : null, TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
        return new(result.ToJson(), result.Upgraded ? coordinator.StopAfterHandOver : null);
    }
}
