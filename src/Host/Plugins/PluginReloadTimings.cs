namespace PluggableNet.Host.Plugins;

/// <summary>How long the reload triggers wait before acting. The defaults suit real deploys; tests shorten them.</summary>
public sealed record PluginReloadTimings
{
    /// <summary>Default 300 ms: the plugin folder must be quiet this long after its last file event (a build writes many files).</summary>
    public TimeSpan FileDebounce { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Default 250 ms: the gap between the two snapshots (sizes, times) that must match before a load is tried.</summary>
    public TimeSpan StabilityInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Default 30 s: a folder still changing after this is left alone until its next file event (a copy that never ends is not a release).</summary>
    public TimeSpan MaxStabilityWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Default 300 ms: configuration must be quiet this long after a reload token fires (one save often fires twice).</summary>
    public TimeSpan ConfigurationDebounce { get; init; } = TimeSpan.FromMilliseconds(300);
}
