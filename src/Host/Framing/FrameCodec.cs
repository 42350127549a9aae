using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace PluggableNet.Host.Framing;

/// <summary>
/// Reads and writes length-prefixed frames. Stateless and immutable: one instance serves every connection.
/// A header is judged before any payload buffer is allocated, so a hostile length costs nothing.
/// </summary>
internal sealed class FrameCodec
{
    private static readonly long[] s_powersOfTen =
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
    ];

    public FrameCodec(FrameKind kind, int headerDigits, int maxFrameBytes)
    {
        if (kind == FrameKind.AsciiDecimal && headerDigits is < 1 or > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(headerDigits), headerDigits, "An ASCII header has 1 to 10 digits.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameBytes, 1);
        Kind = kind;
        HeaderLength = kind == FrameKind.AsciiDecimal ? headerDigits : sizeof(uint);
        MaxFrameBytes = maxFrameBytes;
        MaxAnswerBytes = kind == FrameKind.AsciiDecimal
            ? (int)Math.Min(s_powersOfTen[headerDigits] - 1, Array.MaxLength - HeaderLength)
            : Array.MaxLength - HeaderLength;
    }

    public FrameKind Kind { get; }

    /// <summary>Bytes in a header: the digit count, or 4 for binary framing.</summary>
    public int HeaderLength { get; }

    /// <summary>The largest request payload accepted.</summary>
    public int MaxFrameBytes { get; }

    /// <summary>
    /// Whether CR/LF between frames is ignored: true for ASCII headers, where it can never start a header, so a typed
    /// telnet session keeps working after its first line; false for binary lengths, where it could.
    /// </summary>
    public bool SkipsLineEndings => Kind == FrameKind.AsciiDecimal;

    /// <summary>The largest answer payload this framing can express (99,999 with 5 digits).</summary>
    public int MaxAnswerBytes { get; }

    /// <summary>Reads a header from the start of <paramref name="input"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public HeaderStatus TryReadHeader(ReadOnlySpan<byte> input, out int payloadLength)
    {
        payloadLength = 0;
        if (input.Length < HeaderLength)
        {
            return HeaderStatus.Incomplete;
        }

        long length;
        if (Kind == FrameKind.UInt32BigEndian)
        {
            length = BinaryPrimitives.ReadUInt32BigEndian(input);
        }
        else
        {
            length = 0;
            foreach (var b in input[..HeaderLength])
            {
                var digit = (uint)(b - '0');
                if (digit > 9)
                {
                    return HeaderStatus.NotDigits;
                }

                length = (length * 10) + digit;
            }
        }

        if (length == 0)
        {
            return HeaderStatus.ZeroLength;
        }

        if (length > MaxFrameBytes)
        {
            return HeaderStatus.TooLarge;
        }

        payloadLength = (int)length;
        return HeaderStatus.Valid;
    }

    /// <summary>
    /// Reads one whole frame from the start of <paramref name="input"/>. Returns <see cref="HeaderStatus.Incomplete"/>
    /// until the payload is complete as well.
    /// </summary>
    public HeaderStatus TryReadFrame(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> payload, out int consumed)
    {
        payload = default;
        consumed = 0;
        var status = TryReadHeader(input, out var length);
        if (status != HeaderStatus.Valid)
        {
            return status;
        }

        if (input.Length - HeaderLength < length)
        {
            return HeaderStatus.Incomplete;
        }

        payload = input.Slice(HeaderLength, length);
        consumed = HeaderLength + length;
        return HeaderStatus.Valid;
    }

    /// <summary>Writes the header for a payload of <paramref name="payloadLength"/> bytes (≤ <see cref="MaxAnswerBytes"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteHeader(Span<byte> destination, int payloadLength)
    {
        if (Kind == FrameKind.UInt32BigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payloadLength);
            return;
        }

        var value = (uint)payloadLength;
        for (var i = HeaderLength - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    public override string ToString() => Kind == FrameKind.AsciiDecimal
        ? $"AsciiDecimal({HeaderLength} digits, max {MaxFrameBytes} bytes)"
        : $"UInt32BigEndian(max {MaxFrameBytes} bytes)";
}
