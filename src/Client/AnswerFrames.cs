using System.Buffers;
using PluggableNet.Protocol;

namespace PluggableNet.Client;

/// <summary>
/// Cuts answers off the front of the received bytes. Stateless: the header comes from <see cref="LengthHeader"/>, and
/// the announced length is checked against the client's limit before anything waits for (or holds) the payload.
/// </summary>
internal static class AnswerFrames
{
    /// <summary>
    /// Reads one whole answer at the start of <paramref name="buffer"/> and moves <paramref name="buffer"/> past it.
    /// False when it is incomplete (wait for more bytes) or invalid (<paramref name="error"/> says why).
    /// An empty answer is valid: a plugin may answer nothing.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, LengthHeader header, int maxAnswerBytes, out ReadOnlySequence<byte> payload, out string? error)
    {
        payload = default;
        error = null;
        if (buffer.Length < header.Size)
        {
            return false;
        }

        // A header split across two segments is copied; ten bytes at most.
        Span<byte> copy = stackalloc byte[10];
        var first = buffer.FirstSpan;
        ReadOnlySpan<byte> bytes = first.Length >= header.Size ? first[..header.Size] : Copy(buffer, copy[..header.Size]);
        if (header.TryRead(bytes, out var length) == LengthHeaderStatus.NotDigits)
        {
            error = $"answer header is not {header.Size} ASCII digits (0x{Convert.ToHexString(bytes)})";
            return false;
        }

        if (length > maxAnswerBytes)
        {
            error = $"answer header announces {length} bytes, above MaxAnswerBytes {maxAnswerBytes}";
            return false;
        }

        if (buffer.Length - header.Size < length)
        {
            return false;
        }

        payload = buffer.Slice(header.Size, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    private static ReadOnlySpan<byte> Copy(in ReadOnlySequence<byte> buffer, Span<byte> destination)
    {
        buffer.Slice(0, destination.Length).CopyTo(destination);
        return destination;
    }
}
