namespace PluggableNet.Client;

/// <summary>How the length of a frame is written in front of its payload; must match the host's <c>Framing:Kind</c>.</summary>
public enum FrameFormat
{
    /// <summary>A fixed-width ASCII decimal header (<c>00005HELLO</c>), <see cref="PluggableNetClientOptions.HeaderDigits"/> wide. The host's default.</summary>
    AsciiDecimal,

    /// <summary>A 4-byte big-endian unsigned length (the host's <c>Framing:Kind=UInt32BigEndian</c>).</summary>
    UInt32BigEndian,
}
