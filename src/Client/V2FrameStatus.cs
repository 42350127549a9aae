namespace PluggableNet.Client;

/// <summary>What <see cref="V2FrameReader.TryRead"/> found.</summary>
internal enum V2FrameStatus
{
    /// <summary>No whole frame yet: wait for more bytes.</summary>
    NeedMore,

    /// <summary>A whole frame the client acts on.</summary>
    Frame,

    /// <summary>The server broke the protocol; the connection cannot go on.</summary>
    Invalid,
}
