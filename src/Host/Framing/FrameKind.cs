namespace PluggableNet.Host.Framing;

/// <summary>How the length of a frame is written in front of its payload.</summary>
public enum FrameKind
{
    /// <summary>A fixed-width ASCII decimal header, e.g. <c>00005HELLO</c> (nbNet's protocol).</summary>
    AsciiDecimal,

    /// <summary>A 4-byte big-endian unsigned length, as Netty's <c>LengthFieldPrepender(4)</c> writes it.</summary>
    UInt32BigEndian,
}
