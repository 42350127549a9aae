using System.Buffers.Binary;

namespace PluggableNet.Protocol.V2;

/// <summary>
/// The 10-byte header in front of every v2 frame: <c>length:u32be | type:u8 | flags:u8 | id:u32be</c>, then
/// <c>length</c> payload bytes. Pure syntax: whether a length or an id is acceptable is the reader's policy.
/// </summary>
/// <param name="Length">Payload bytes after the header.</param>
/// <param name="Type">The frame's type; unknown values are allowed here and skipped by receivers.</param>
/// <param name="Flags">No flag is defined: senders write 0, receivers ignore them.</param>
/// <param name="Id">The request id, or 0 for frames about the connection.</param>
public readonly record struct FrameHeader(uint Length, FrameType Type, byte Flags, uint Id)
{
    /// <summary>Bytes in a header.</summary>
    public const int Size = 10;

    /// <summary>Reads the header at the start of <paramref name="input"/>; false while fewer than <see cref="Size"/> bytes.</summary>
    public static bool TryRead(ReadOnlySpan<byte> input, out FrameHeader header)
    {
        if (input.Length < Size)
        {
            header = default;
            return false;
        }

        header = new FrameHeader(
            BinaryPrimitives.ReadUInt32BigEndian(input),
            (FrameType)input[4],
            input[5],
            BinaryPrimitives.ReadUInt32BigEndian(input[6..]));
        return true;
    }

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Length);
        destination[4] = (byte)Type;
        destination[5] = Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[6..], Id);
    }
}
