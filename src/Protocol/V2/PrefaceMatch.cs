namespace PluggableNet.Protocol.V2;

/// <summary>What <see cref="Preface.Match"/> found.</summary>
public enum PrefaceMatch
{
    /// <summary>The bytes so far agree with the preface but are fewer than 8.</summary>
    Incomplete,

    /// <summary>The 8 bytes of the preface.</summary>
    Preface,

    /// <summary>A byte differs: a v1 stream (or garbage).</summary>
    NotPreface,
}
