using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace PluggableNet.Testing;

/// <summary>
/// The one place tests and benchmarks build request frames: a fixed-width ASCII decimal length (<c>00005HELLO</c>)
/// or a 4-byte big-endian length, then the payload. Linked as source into every project that sends frames
/// (see <c>tests/Shared/README.md</c>).
/// </summary>
internal static class Frames
{
    /// <summary>The default header: five ASCII digits.</summary>
    public const int DefaultDigits = 5;

    /// <summary>The length of the binary header.</summary>
    public const int BinaryHeaderLength = 4;

    /// <summary><paramref name="payload"/> behind a <paramref name="digits"/>-digit ASCII length header.</summary>
    public static byte[] Ascii(ReadOnlySpan<byte> payload, int digits = DefaultDigits)
    {
        var frame = new byte[digits + payload.Length];
        WriteAsciiHeader(frame, payload.Length, digits);
        payload.CopyTo(frame.AsSpan(digits));
        return frame;
    }

    /// <summary>The UTF-8 bytes of <paramref name="payload"/> behind a <paramref name="digits"/>-digit ASCII length header.</summary>
    public static byte[] Ascii(string payload, int digits = DefaultDigits) => Ascii(Encoding.UTF8.GetBytes(payload), digits);

    /// <summary><paramref name="payload"/> behind a 4-byte big-endian length header.</summary>
    public static byte[] Binary(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[BinaryHeaderLength + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(BinaryHeaderLength));
        return frame;
    }

    /// <summary>The frame of <paramref name="payload"/> in either framing.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> payload, bool binary, int digits = DefaultDigits) =>
        binary ? Binary(payload) : Ascii(payload, digits);

    /// <summary>The frames of <paramref name="payloads"/> back to back, as a pipelining client sends them.</summary>
    public static byte[] AsciiMany(IEnumerable<string> payloads, int digits = DefaultDigits) =>
        payloads.SelectMany(p => Ascii(p, digits)).ToArray();

    /// <summary><paramref name="count"/> copies of <paramref name="frame"/> back to back.</summary>
    public static byte[] Repeat(ReadOnlySpan<byte> frame, int count)
    {
        var wire = new byte[frame.Length * count];
        for (var i = 0; i < count; i++)
        {
            frame.CopyTo(wire.AsSpan(i * frame.Length));
        }

        return wire;
    }

    /// <summary>A payload of <paramref name="length"/> bytes cycling through <c>a</c>..<c>z</c>.</summary>
    public static byte[] Letters(int length)
    {
        var payload = new byte[length];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        return payload;
    }

    /// <summary>
    /// Writes <paramref name="length"/> as <paramref name="digits"/> zero-padded ASCII digits. A length too wide for
    /// the header is refused: a test that wants a lying header writes it explicitly.
    /// </summary>
    public static void WriteAsciiHeader(Span<byte> destination, long length, int digits = DefaultDigits)
    {
        var text = length.ToString("D" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (length < 0 || text.Length != digits)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"does not fit a {digits}-digit header");
        }

        Encoding.ASCII.GetBytes(text, destination[..digits]);
    }

    /// <summary>Writes <paramref name="length"/> as a 4-byte big-endian header.</summary>
    public static void WriteBinaryHeader(Span<byte> destination, uint length) => BinaryPrimitives.WriteUInt32BigEndian(destination, length);
}
