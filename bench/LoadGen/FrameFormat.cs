using System.Buffers.Binary;

namespace PluggableNet.LoadGen;

/// <summary>
/// How a frame's payload length is written on the wire: a fixed-width ASCII decimal header
/// (<c>00005HELLO</c> for width 5) or a 4-byte big-endian unsigned length.
/// </summary>
public readonly record struct FrameFormat
{
    /// <summary>Widest ASCII header allowed by the protocol.</summary>
    public const int MaxAsciiWidth = 10;

    private FrameFormat(bool isBinary, int headerLength)
    {
        IsBinary = isBinary;
        HeaderLength = headerLength;
    }

    /// <summary>The default framing: a 5-digit ASCII header.</summary>
    public static FrameFormat Default => Ascii(5);

    /// <summary>The 4-byte big-endian length framing.</summary>
    public static FrameFormat Binary => new(true, 4);

    /// <summary>True for the 4-byte big-endian header.</summary>
    public bool IsBinary { get; }

    /// <summary>Number of header bytes before each payload.</summary>
    public int HeaderLength { get; }

    /// <summary>Largest payload the header can describe.</summary>
    public int MaxPayloadLength => IsBinary || HeaderLength >= 10
        ? int.MaxValue
        : (int)Math.Min(int.MaxValue, (long)Math.Pow(10, HeaderLength) - 1);

    /// <summary>An ASCII decimal header of <paramref name="width"/> digits (1..10).</summary>
    public static FrameFormat Ascii(int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxAsciiWidth);
        return new FrameFormat(false, width);
    }

    /// <summary>Parses <c>binary</c>, <c>ascii</c> (width 5) or <c>asciiN</c>.</summary>
    public static bool TryParse(string? text, out FrameFormat format)
    {
        format = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.Equals("binary", StringComparison.OrdinalIgnoreCase))
        {
            format = Binary;
            return true;
        }

        if (!text.StartsWith("ascii", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var digits = text.AsSpan(5);
        if (digits.IsEmpty)
        {
            format = Default;
            return true;
        }

        if (int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var width)
            && width is >= 1 and <= MaxAsciiWidth)
        {
            format = Ascii(width);
            return true;
        }

        return false;
    }

    /// <summary>Like <see cref="TryParse"/> but throws <see cref="FormatException"/> on bad input.</summary>
    public static FrameFormat Parse(string text) => TryParse(text, out var format)
        ? format
        : throw new FormatException($"Unknown framing '{text}': use ascii5, asciiN (N = 1..10) or binary.");

    /// <summary>Writes the header for a payload of <paramref name="payloadLength"/> bytes.</summary>
    public void WriteHeader(Span<byte> destination, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(payloadLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, MaxPayloadLength);
        if (IsBinary)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payloadLength);
            return;
        }

        // Right-aligned, zero-padded decimal: fill from the last digit backwards.
        var value = payloadLength;
        for (var i = HeaderLength - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    /// <inheritdoc />
    public override string ToString() => IsBinary ? "binary" : $"ascii{HeaderLength}";
}
