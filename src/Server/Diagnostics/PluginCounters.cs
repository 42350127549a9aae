namespace PluggableNet.Server.Diagnostics;

/// <summary>
/// The figures of one plugin version (name and version, whatever its generation number): requests, counted on
/// the hot path without contention, and the tag sets built once so that recording never allocates.
/// </summary>
/// <remarks>Holds strings only, never the plugin or its types, so it cannot keep a retired load context alive.</remarks>
internal sealed class PluginCounters
{
    internal PluginCounters(string name, string version)
    {
        Name = name;
        Version = version;
        KeyValuePair<string, object?> nameTag = new(HostMeter.Tags.PluginName, name);
        KeyValuePair<string, object?> versionTag = new(HostMeter.Tags.PluginVersion, version);
        Tags = [nameTag, versionTag];
        InlineTags = [nameTag, versionTag, new(HostMeter.Tags.PluginExecution, "inline")];
        OffloadedTags = [nameTag, versionTag, new(HostMeter.Tags.PluginExecution, "offloaded")];
    }

    /// <summary>Counts for a generation no meter watches (tests that build generations by hand).</summary>
    internal static PluginCounters Detached { get; } = new("detached", "0");

    public string Name { get; }

    public string Version { get; }

    /// <summary>Requests answered (or failed) by this version.</summary>
    public long Requests => RequestCounter.Value;

    internal StripedCounter RequestCounter { get; } = new();

    /// <summary>Plugin name and version, for the observable instruments (the endpoint's tags are added at collection).</summary>
    internal KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>Plugin tags with <c>pluggablenet.plugin.execution=inline</c>, for <c>pluggablenet.request.duration</c>.</summary>
    internal KeyValuePair<string, object?>[] InlineTags { get; }

    /// <summary>Plugin tags with <c>pluggablenet.plugin.execution=offloaded</c>.</summary>
    internal KeyValuePair<string, object?>[] OffloadedTags { get; }
}
