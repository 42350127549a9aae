namespace PluggableNet.Host.Upgrade;

/// <summary>What <c>status</c> says of a host that took over from another: when, from which build and pid.</summary>
internal sealed record UpgradeOrigin(DateTimeOffset At, string FromBuild, int FromPid);
