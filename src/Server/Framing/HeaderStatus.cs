namespace PluggableNet.Server.Framing;

/// <summary>The outcome of reading a frame header.</summary>
internal enum HeaderStatus
{
    /// <summary>Not enough bytes yet for a whole header.</summary>
    Incomplete,

    /// <summary>A valid header; the payload length is known.</summary>
    Valid,

    /// <summary>An ASCII header with a byte that is not <c>0</c>..<c>9</c> (signs and spaces included).</summary>
    NotDigits,

    /// <summary>A header announcing an empty payload, which the protocol does not allow for requests.</summary>
    ZeroLength,

    /// <summary>A header announcing more than <c>Framing:MaxFrameBytes</c>.</summary>
    TooLarge,
}
