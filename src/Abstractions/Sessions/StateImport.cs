namespace PluggableNet;

/// <summary>What the previous plugin version exported, handed to the new one at a swap (<see cref="ISessionPlugin.ImportState"/>).</summary>
public readonly struct StateImport
{
    /// <summary>Creates an import of <paramref name="data"/> written by <paramref name="fromVersion"/> for <paramref name="toVersion"/>.</summary>
    public StateImport(string fromVersion, string toVersion, ReadOnlyMemory<byte> data)
    {
        FromVersion = fromVersion;
        ToVersion = toVersion;
        Data = data;
    }

    /// <summary>The version of the plugin that wrote <see cref="Data"/> (its assembly's informational version).</summary>
    public string FromVersion { get; }

    /// <summary>The version importing it.</summary>
    public string ToVersion { get; }

    /// <summary>What the previous version wrote; empty when it wrote nothing. Valid only during the call.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Whether <see cref="FromVersion"/> is higher than <see cref="ToVersion"/>: a rollback to older code.</summary>
    public bool IsDowngrade => Compare(FromVersion, ToVersion) > 0;

    /// <summary>Compares the numeric parts of two versions ("1.2.0-beta+sha" as 1.2.0); unparsable ones compare as equal.</summary>
    private static int Compare(string left, string right) =>
        Version.TryParse(Numeric(left), out var l) && Version.TryParse(Numeric(right), out var r) ? l.CompareTo(r) : 0;

    private static string Numeric(string version)
    {
        var end = version.AsSpan().IndexOfAny('-', '+');
        return end < 0 ? version : version[..end];
    }
}
