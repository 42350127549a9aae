using System.Buffers.Binary;

namespace PluggableNet.Client;

/// <summary>Writes request headers and reads answer headers in the host's framing. Stateless; one per client.</summary>
internal sealed class FrameHeader
{
    public FrameHeader(FrameFormat format, int digits, int maxAnswerBytes)
    {
        Format = format;
        Length = format == FrameFormat.AsciiDecimal ? digits : sizeof(uint);
        MaxAnswerBytes = maxAnswerBytes;
        MaxRequestBytes = format == FrameFormat.AsciiDecimal && digits < 10
            ? (int)Math.Min((long)Math.Pow(10, digits) - 1, Array.MaxLength - Length)
            : Array.MaxLength - Length;
    }

    public FrameFormat Format { get; }

    /// <summary>Header bytes: the digit count, or 4.</summary>
    public int Length { get; }

    /// <summary>The largest payload the header can express (99,999 with 5 digits).</summary>
    public int MaxRequestBytes { get; }

    public int MaxAnswerBytes { get; }

    public void Write(Span<byte> destination, int payloadLength)
    {
        if (Format == FrameFormat.UInt32BigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payloadLength);
            return;
        }

        var value = (uint)payloadLength;
        for (var i = Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    /// <summary>
    /// Reads the answer header at the start of <paramref name="input"/> (at least <see cref="Length"/> bytes).
    /// Returns null and the length, or why the header is invalid. An empty answer is valid: a plugin may answer nothing.
    /// </summary>
    public string? TryRead(ReadOnlySpan<byte> input, out int payloadLength)
    {
        payloadLength = 0;
        long length;
        if (Format == FrameFormat.UInt32BigEndian)
        {
            length = BinaryPrimitives.ReadUInt32BigEndian(input);
        }
        else
        {
            length = 0;
            foreach (var b in input[..Length])
            {
                var digit = (uint)(b - '0');
                if (digit > 9)
                {
                    return $"answer header is not {Length} ASCII digits (0x{Convert.ToHexString(input[..Length])})";
                }

                length = (length * 10) + digit;
            }
        }

        if (length > MaxAnswerBytes)
        {
            return $"answer header announces {length} bytes, above MaxAnswerBytes {MaxAnswerBytes}";
        }

        payloadLength = (int)length;
        return null;
    }
}
