using System.Runtime.CompilerServices;
using PluggableNet.Protocol;

namespace PluggableNet.Server.Framing;

/// <summary>
/// Reads and writes length-prefixed frames: the shared <see cref="LengthHeader"/> plus the server's limits.
/// Stateless and immutable: one instance serves every connection.
/// A header is judged before any payload buffer is allocated, so a hostile length costs nothing.
/// </summary>
internal sealed class FrameCodec
{
    private readonly LengthHeader _header;

    public FrameCodec(FramingKind kind, int headerDigits, int maxFrameBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameBytes, 1);
        _header = new LengthHeader(kind, headerDigits);
        MaxFrameBytes = maxFrameBytes;
    }

    public FramingKind Kind => _header.Kind;

    /// <summary>Bytes in a header: the digit count, or 4 for binary framing.</summary>
    public int HeaderLength => _header.Size;

    /// <summary>The largest request payload accepted.</summary>
    public int MaxFrameBytes { get; }

    /// <summary>Whether CR/LF between frames is ignored (ASCII headers only; see <see cref="LengthHeader.AllowsLineEndingsBetweenFrames"/>).</summary>
    public bool SkipsLineEndings => _header.AllowsLineEndingsBetweenFrames;

    /// <summary>The largest answer payload this framing can express (99,999 with 5 digits).</summary>
    public int MaxAnswerBytes => _header.MaxPayloadBytes;

    /// <summary>Reads a header from the start of <paramref name="input"/>, and judges its length against the limits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public HeaderStatus TryReadHeader(ReadOnlySpan<byte> input, out int payloadLength)
    {
        payloadLength = 0;
        switch (_header.TryRead(input, out var length))
        {
            case LengthHeaderStatus.Incomplete:
                return HeaderStatus.Incomplete;
            case LengthHeaderStatus.NotDigits:
                return HeaderStatus.NotDigits;
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
    public void WriteHeader(Span<byte> destination, int payloadLength) => _header.Write(destination, payloadLength);

    public override string ToString() => Kind == FramingKind.AsciiDecimal
        ? $"AsciiDecimal({HeaderLength} digits, max {MaxFrameBytes} bytes)"
        : $"UInt32BigEndian(max {MaxFrameBytes} bytes)";
}
