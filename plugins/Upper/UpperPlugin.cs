using System.Buffers;
using System.Text;

namespace PluggableNet.Plugins.Upper;

/// <summary>
/// Answers with the payload upper-cased: ASCII runs on a vectorized fast path, valid UTF-8 through the invariant
/// culture's simple case mapping, and the bytes of invalid UTF-8 sequences left exactly as they are.
/// </summary>
public sealed class UpperPlugin : ILogicPlugin
{
    /// <inheritdoc />
    public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
    {
        // A simple case mapping changes one rune into one rune, and its UTF-8 form grows by at most half
        // (2 bytes → 3, as ɐ → Ɐ), so one span of 1.5× the request always suffices.
        var destination = answer.GetSpan(request.Length + (request.Length / 2) + 4);
        var written = 0;
        while (!request.IsEmpty)
        {
            var asciiRun = request.IndexOfAnyExceptInRange((byte)0, (byte)0x7F);
            if (asciiRun != 0)
            {
                var run = asciiRun < 0 ? request.Length : asciiRun;
                Ascii.ToUpper(request[..run], destination[written..], out var converted);
                written += converted;
                request = request[run..];
                continue;
            }

            if (Rune.DecodeFromUtf8(request, out var rune, out var consumed) == OperationStatus.Done)
            {
                written += Rune.ToUpperInvariant(rune).EncodeToUtf8(destination[written..]);
            }
            else
            {
                // Invalid or truncated sequence: its bytes go through unchanged.
                request[..consumed].CopyTo(destination[written..]);
                written += consumed;
            }

            request = request[consumed..];
        }

        answer.Advance(written);
    }
}
