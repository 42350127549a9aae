using System.Buffers;
using System.Text;

namespace PluggableNet.Plugins.Upper;

/// <summary>
/// Answers with the payload upper-cased: ASCII on a vectorized fast path, valid UTF-8 through the
/// invariant culture's case mapping, and the bytes of invalid UTF-8 sequences left as they are.
/// </summary>
public sealed class UpperPlugin : ILogicPlugin
{
    /// <inheritdoc />
    public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
    {
        // Ascii.ToUpper stops at the first non-ASCII byte; what it converted up to there is kept.
        var destination = answer.GetSpan(request.Length);
        var status = Ascii.ToUpper(request, destination[..request.Length], out var written);
        answer.Advance(written);
        if (status != OperationStatus.Done)
        {
            WriteNonAscii(request[written..], answer);
        }
    }

    // Slow path: walk the payload rune by rune. Upper-casing can change a rune's UTF-8 length, so write per rune.
    private static void WriteNonAscii(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
    {
        while (!request.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(request, out var rune, out var consumed);
            if (status != OperationStatus.Done)
            {
                // Invalid or truncated sequence: copy its bytes unchanged.
                answer.Write(request[..consumed]);
            }
            else
            {
                var upper = Rune.ToUpperInvariant(rune);
                var span = answer.GetSpan(4);
                var length = upper.EncodeToUtf8(span);
                answer.Advance(length);
            }

            request = request[consumed..];
        }
    }
}
