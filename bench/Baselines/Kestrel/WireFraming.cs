using System.Buffers;
using System.Buffers.Binary;

namespace PluggableNet.Baselines.Kestrel;

/// <summary>
/// Frame header reading and writing for the baseline. Kept separate from the load generator's copy on
/// purpose: a baseline that shared the verifier's code could share its bugs too.
/// </summary>
internal sealed class WireFraming
{
    private readonly bool _binary;

    private WireFraming(bool binary, int headerLength)
    {
        _binary = binary;
        HeaderLength = headerLength;
    }

    public int HeaderLength { get; }

    /// <summary>Largest length the header can express.</summary>
    public long MaxLength => _binary ? uint.MaxValue : (long)Math.Pow(10, HeaderLength) - 1;

    public static WireFraming Ascii(int width) => width is >= 1 and <= 10
        ? new WireFraming(false, width)
        : throw new ArgumentOutOfRangeException(nameof(width), width, "The ASCII header width must be 1..10.");

    public static WireFraming Binary() => new(true, 4);

    /// <summary>Parses <c>binary</c>, <c>ascii</c> (width 5) or <c>asciiN</c>.</summary>
    public static WireFraming Parse(string text)
    {
        text = text.Trim();
        if (text.Equals("binary", StringComparison.OrdinalIgnoreCase))
        {
            return Binary();
        }

        if (text.StartsWith("ascii", StringComparison.OrdinalIgnoreCase))
        {
            return text.Length == 5 ? Ascii(5) : Ascii(int.Parse(text.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture));
        }

        throw new FormatException($"Unknown framing '{text}': use ascii5, asciiN (N = 1..10) or binary.");
    }

    /// <summary>
    /// Reads the next length header at the start of <paramref name="buffer"/>.
    /// Returns <see cref="HeaderStatus.Incomplete"/> when not all header bytes have arrived.
    /// </summary>
    public HeaderStatus TryReadLength(in ReadOnlySequence<byte> buffer, out long length)
    {
        length = 0;
        if (buffer.Length < HeaderLength)
        {
            return HeaderStatus.Incomplete;
        }

        // The header nearly always sits in the first segment; copy only when it straddles two.
        Span<byte> copy = stackalloc byte[10];
        var first = buffer.FirstSpan;
        scoped ReadOnlySpan<byte> header;
        if (first.Length >= HeaderLength)
        {
            header = first[..HeaderLength];
        }
        else
        {
            buffer.Slice(0, HeaderLength).CopyTo(copy);
            header = copy[..HeaderLength];
        }

        if (_binary)
        {
            length = BinaryPrimitives.ReadUInt32BigEndian(header);
        }
        else
        {
            foreach (var b in header)
            {
                var digit = b - '0';
                if ((uint)digit > 9)
                {
                    return HeaderStatus.Invalid;
                }

                length = (length * 10) + digit;
            }
        }

        return length == 0 ? HeaderStatus.Invalid : HeaderStatus.Complete;
    }

    /// <summary>Writes the header of a payload of <paramref name="length"/> bytes.</summary>
    public void WriteLength(Span<byte> destination, int length)
    {
        if (_binary)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)length);
            return;
        }

        for (var i = HeaderLength - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (length % 10));
            length /= 10;
        }
    }

    /// <inheritdoc />
    public override string ToString() => _binary ? "binary" : $"ascii{HeaderLength}";
}
