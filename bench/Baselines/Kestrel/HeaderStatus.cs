namespace PluggableNet.Baselines.Kestrel;

/// <summary>Outcome of reading a frame header.</summary>
internal enum HeaderStatus
{
    /// <summary>Not all header bytes are buffered yet.</summary>
    Incomplete,

    /// <summary>A valid, non-zero length was read.</summary>
    Complete,

    /// <summary>Not a header: a non-digit, or length 0.</summary>
    Invalid,
}
