using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PluggableNet.Protocol.V2;

/// <summary>
/// A GOAWAY frame's payload: <c>lastId:u32be | code:u16be</c>, then a UTF-8 reason. Every request with an id up to
/// <see cref="LastId"/> was or will be answered (ANSWER or ERROR); none above it was processed, so a client resends
/// exactly those.
/// </summary>
/// <param name="LastId">The highest request id the server processes on this connection (0: none).</param>
/// <param name="Code">Why: <see cref="ErrorCode.NoError"/> for a drain or an idle close.</param>
/// <param name="Text">A short explanation for people.</param>
public readonly record struct GoAwayPayload(uint LastId, ErrorCode Code, string Text)
{
    private const int FixedSize = sizeof(uint) + sizeof(ushort);

    /// <summary>Payload bytes <see cref="Write"/> produces.</summary>
    public int Size => FixedSize + TextBytes.Length(Text, ErrorPayload.MaxTextBytes);

    /// <summary>Writes the payload (no frame header) to <paramref name="destination"/>.</summary>
    public void Write(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var span = destination.GetSpan(Size);
        BinaryPrimitives.WriteUInt32BigEndian(span, LastId);
        BinaryPrimitives.WriteUInt16BigEndian(span[sizeof(uint)..], (ushort)Code);
        var written = TextBytes.Write(Text, span[FixedSize..], ErrorPayload.MaxTextBytes);
        destination.Advance(FixedSize + written);
    }

    /// <summary>Reads a payload; false when it is shorter than its fixed part (a protocol error).</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out GoAwayPayload goAway)
    {
        if (payload.Length < FixedSize)
        {
            goAway = default;
            return false;
        }

        goAway = new GoAwayPayload(
            BinaryPrimitives.ReadUInt32BigEndian(payload),
            (ErrorCode)BinaryPrimitives.ReadUInt16BigEndian(payload[sizeof(uint)..]),
            Encoding.UTF8.GetString(payload[FixedSize..]));
        return true;
    }
}
