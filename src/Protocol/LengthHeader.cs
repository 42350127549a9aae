using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace PluggableNet.Protocol;

/// <summary>
/// The length header in front of every frame, read and written in one place for the server, the client and the
/// <c>send</c> verb. Pure syntax: whether a length is acceptable (0, above a limit) is the reader's policy.
/// </summary>
public readonly struct LengthHeader : IEquatable<LengthHeader>
{
    private static readonly long[] s_powersOfTen =
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
    ];

    /// <summary>A header of <paramref name="kind"/>; <paramref name="digits"/> (1 to 10) counts only for ASCII headers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An ASCII header with fewer than 1 or more than 10 digits, or an unknown kind.</exception>
    public LengthHeader(FramingKind kind, int digits = 5)
    {
        if (kind == FramingKind.AsciiDecimal)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(digits, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(digits, 10);
        }
        else if (kind != FramingKind.UInt32BigEndian)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown framing.");
        }

        Kind = kind;
        Size = kind == FramingKind.AsciiDecimal ? digits : sizeof(uint);
    }

    /// <summary>How the length is written.</summary>
    public FramingKind Kind { get; }

    /// <summary>Bytes in a header: the digit count, or 4.</summary>
    public int Size { get; }

    /// <summary>
    /// Whether CR/LF between frames may be skipped: true for ASCII headers, where it can never start a header (a typed
    /// telnet session keeps working after its first line); false for binary lengths, where it could.
    /// </summary>
    public bool AllowsLineEndingsBetweenFrames => Kind == FramingKind.AsciiDecimal;

    /// <summary>The largest payload this header can announce that also fits one array with its header (99,999 with 5 digits).</summary>
    public int MaxPayloadBytes => Kind == FramingKind.AsciiDecimal
        ? (int)Math.Min(s_powersOfTen[Size] - 1, Array.MaxLength - Size)
        : Array.MaxLength - Size;

    /// <summary>Reads the header at the start of <paramref name="input"/>; <paramref name="length"/> is what it announces.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public LengthHeaderStatus TryRead(ReadOnlySpan<byte> input, out long length)
    {
        length = 0;
        if (input.Length < Size)
        {
            return LengthHeaderStatus.Incomplete;
        }

        if (Kind == FramingKind.UInt32BigEndian)
        {
            length = BinaryPrimitives.ReadUInt32BigEndian(input);
            return LengthHeaderStatus.Valid;
        }

        long value = 0;
        foreach (var b in input[..Size])
        {
            var digit = (uint)(b - '0');
            if (digit > 9)
            {
                return LengthHeaderStatus.NotDigits;
            }

            value = (value * 10) + digit;
        }

        length = value;
        return LengthHeaderStatus.Valid;
    }

    /// <summary>Writes the header for <paramref name="payloadLength"/> bytes (0 to <see cref="MaxPayloadBytes"/>) into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(Span<byte> destination, int payloadLength)
    {
        if (Kind == FramingKind.UInt32BigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payloadLength);
            return;
        }

        var value = (uint)payloadLength;
        for (var i = Size - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    /// <inheritdoc />
    public bool Equals(LengthHeader other) => Kind == other.Kind && Size == other.Size;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is LengthHeader other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Size);

    /// <summary>Compares two headers by kind and size.</summary>
    public static bool operator ==(LengthHeader left, LengthHeader right) => left.Equals(right);

    /// <summary>Compares two headers by kind and size.</summary>
    public static bool operator !=(LengthHeader left, LengthHeader right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => Kind == FramingKind.AsciiDecimal ? $"AsciiDecimal({Size} digits)" : "UInt32BigEndian";
}
