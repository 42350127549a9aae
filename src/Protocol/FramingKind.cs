namespace PluggableNet.Protocol;

/// <summary>
/// How the length of a frame is written in front of its payload: the host's <c>Framing:Kind</c>, the client's
/// <c>Framing</c> and the <c>send</c> verb's <c>--framing</c>, one name everywhere.
/// </summary>
public enum FramingKind
{
    /// <summary>A fixed-width ASCII decimal header, e.g. <c>00005HELLO</c> (nbNet's protocol, the default).</summary>
    AsciiDecimal,

    /// <summary>A 4-byte big-endian unsigned length, as Netty's <c>LengthFieldPrepender(4)</c> writes it.</summary>
    UInt32BigEndian,
}
