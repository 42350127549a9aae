namespace PluggableNet.Protocol.V2;

/// <summary>
/// The 8 bytes that open a v2 connection, from the client and then from the server: <c>PNET/2\r\n</c>. No v1 stream can
/// start with them: <c>P</c> is not a digit, and as a 4-byte big-endian length (1,347,306,836) it is above any
/// <c>Framing:MaxFrameBytes</c> a host that allows v2 accepts.
/// </summary>
public static class Preface
{
    /// <summary>The preface's bytes.</summary>
    public static ReadOnlySpan<byte> Bytes => "PNET/2\r\n"u8;

    /// <summary>The preface read as a binary v1 length header: any host limit must stay below it.</summary>
    public const uint AsBinaryLength = 0x504E4554;

    /// <summary>Whether <paramref name="start"/>, the first bytes of a connection, is the preface, not it, or too short to tell.</summary>
    public static PrefaceMatch Match(ReadOnlySpan<byte> start)
    {
        var compared = Math.Min(start.Length, Bytes.Length);
        if (!start[..compared].SequenceEqual(Bytes[..compared]))
        {
            return PrefaceMatch.NotPreface;
        }

        return compared == Bytes.Length ? PrefaceMatch.Preface : PrefaceMatch.Incomplete;
    }
}
