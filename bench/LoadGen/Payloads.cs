namespace PluggableNet.LoadGen;

/// <summary>Builds request payloads and the answers a correct server gives for them.</summary>
internal static class Payloads
{
    /// <summary>
    /// Fills <paramref name="payload"/> with lower-case ASCII letters that differ per connection,
    /// so neither reversal nor upper-casing is the identity and a mixed-up answer is caught.
    /// </summary>
    public static void Fill(Span<byte> payload, int seed)
    {
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + ((i * 7) + (seed * 13) + (i / 26)) % 26);
        }
    }

    /// <summary>Writes the answer a correct server gives for <paramref name="payload"/>.</summary>
    public static void Answer(ExpectedLogic logic, ReadOnlySpan<byte> payload, Span<byte> answer)
    {
        switch (logic)
        {
            case ExpectedLogic.Reverse:
                payload.CopyTo(answer);
                answer[..payload.Length].Reverse();
                break;
            case ExpectedLogic.Upper:
                System.Text.Ascii.ToUpper(payload, answer, out _);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(logic), logic, "Unknown logic.");
        }
    }

    /// <summary>
    /// Builds the bytes of one batch: <paramref name="depth"/> framed copies of the payload (the request)
    /// and of its answer (what the server must send back, headers included).
    /// Both arrays are pinned so the socket layer never has to pin them per operation.
    /// </summary>
    public static (byte[] Requests, byte[] Answers) BuildBatch(FrameFormat framing, ExpectedLogic logic, int payloadBytes, int depth, int seed)
    {
        var frameLength = framing.HeaderLength + payloadBytes;
        var requests = GC.AllocateUninitializedArray<byte>(frameLength * depth, pinned: true);
        var answers = GC.AllocateUninitializedArray<byte>(frameLength * depth, pinned: true);

        var request = requests.AsSpan(0, frameLength);
        framing.WriteHeader(request, payloadBytes);
        Fill(request[framing.HeaderLength..], seed);

        var answer = answers.AsSpan(0, frameLength);
        framing.WriteHeader(answer, payloadBytes);
        Answer(logic, request[framing.HeaderLength..], answer[framing.HeaderLength..]);

        for (var i = 1; i < depth; i++)
        {
            request.CopyTo(requests.AsSpan(i * frameLength));
            answer.CopyTo(answers.AsSpan(i * frameLength));
        }

        return (requests, answers);
    }
}
