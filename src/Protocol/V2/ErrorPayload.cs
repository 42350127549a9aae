using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PluggableNet.Protocol.V2;

/// <summary>An ERROR frame's payload: <c>code:u16be</c>, then a UTF-8 reason for people (at most <see cref="MaxTextBytes"/>).</summary>
/// <param name="Code">Why the request failed.</param>
/// <param name="Text">A short explanation; never parsed by programs.</param>
public readonly record struct ErrorPayload(ErrorCode Code, string Text)
{
    /// <summary>The longest reason written; longer ones are cut at a character boundary.</summary>
    public const int MaxTextBytes = 1024;

    /// <summary>Payload bytes <see cref="Write"/> produces.</summary>
    public int Size => sizeof(ushort) + TextBytes.Length(Text, MaxTextBytes);

    /// <summary>Writes the payload (no frame header) to <paramref name="destination"/>.</summary>
    public void Write(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var span = destination.GetSpan(Size);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)Code);
        var written = TextBytes.Write(Text, span[sizeof(ushort)..], MaxTextBytes);
        destination.Advance(sizeof(ushort) + written);
    }

    /// <summary>Reads a payload; false when it is shorter than its code (a protocol error).</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out ErrorPayload error)
    {
        if (payload.Length < sizeof(ushort))
        {
            error = default;
            return false;
        }

        error = new ErrorPayload((ErrorCode)BinaryPrimitives.ReadUInt16BigEndian(payload), Encoding.UTF8.GetString(payload[sizeof(ushort)..]));
        return true;
    }
}
