namespace PluggableNet.Server.Reload;

/// <summary>How long the reload triggers wait before acting. The defaults suit real deploys; tests shorten them.</summary>
internal sealed record PluginReloadTimings
{
    /// <summary>
    /// Default 100 ms: the plugin folder must be quiet this long after its last file event (a build or copy writes
    /// many files). Not applied to a whole folder renamed into place (the atomic deploy), which loads at once.
    /// </summary>
    public TimeSpan FileDebounce { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Default 50 ms: the gap between the two snapshots (sizes, times) that must match before a load is tried, when
    /// files were written in place. A load that still catches a half-written file fails, keeps the old version, and is
    /// retried on the next file event, so the check only has to catch the common case, not every slow writer.
    /// </summary>
    public TimeSpan StabilityInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Default 30 s: a folder still changing after this is left alone until its next file event (a copy that never ends is not a release).</summary>
    public TimeSpan MaxStabilityWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Default 50 ms: configuration must be quiet this long after a reload token fires (one save often fires
    /// twice). The file provider waits its own 50 ms before reading (see HostConfiguration); a settle that finds
    /// nothing changed for the plugin does nothing, so a second one is harmless.
    /// </summary>
    public TimeSpan ConfigurationDebounce { get; init; } = TimeSpan.FromMilliseconds(50);
}
