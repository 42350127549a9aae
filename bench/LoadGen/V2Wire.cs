using System.Buffers.Binary;
using System.Net.Sockets;
using PluggableNet.Protocol.V2;

namespace PluggableNet.LoadGen;

/// <summary>The v2 pieces the load generator needs: the handshake, and batches of REQUEST frames whose ids are rewritten per batch.</summary>
internal static class V2Wire
{
    /// <summary>Bytes of one REQUEST or ANSWER frame carrying <paramref name="payloadBytes"/>.</summary>
    public static int FrameLength(int payloadBytes) => FrameHeader.Size + payloadBytes;

    /// <summary>
    /// <paramref name="depth"/> REQUEST frames carrying the same payload (ids written later by <see cref="WriteIds"/>),
    /// and that payload's expected answer. Pinned, like the v1 batch.
    /// </summary>
    public static (byte[] Requests, byte[] Answer) BuildBatch(ExpectedLogic logic, int payloadBytes, int depth, int seed)
    {
        var frameLength = FrameLength(payloadBytes);
        var requests = GC.AllocateUninitializedArray<byte>(frameLength * depth, pinned: true);
        var answer = GC.AllocateUninitializedArray<byte>(payloadBytes, pinned: true);
        var first = requests.AsSpan(0, frameLength);
        new FrameHeader((uint)payloadBytes, FrameType.Request, 0, 0).Write(first);
        Payloads.Fill(first[FrameHeader.Size..], seed);
        Payloads.Answer(logic, first[FrameHeader.Size..], answer);
        for (var i = 1; i < depth; i++)
        {
            first.CopyTo(requests.AsSpan(i * frameLength));
        }

        return (requests, answer);
    }

    /// <summary>Gives the batch's frames the ids <paramref name="firstId"/>, +1, ... (strictly increasing, as v2 demands).</summary>
    public static void WriteIds(Span<byte> requests, int frameLength, uint firstId)
    {
        var id = firstId;
        for (var offset = 0; offset < requests.Length; offset += frameLength)
        {
            BinaryPrimitives.WriteUInt32BigEndian(requests.Slice(offset + 6, 4), id++);
        }
    }

    /// <summary>
    /// Sends the client's preface and reads the server's preface and SETTINGS frame. Throws <see cref="InvalidDataException"/>
    /// when the server does not speak v2 (it closes, or answers anything else).
    /// </summary>
    public static async Task HandshakeAsync(Socket socket, CancellationToken cancellationToken)
    {
        await socket.SendAsync(Preface.Bytes.ToArray(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        var start = new byte[8 + FrameHeader.Size];
        await ReceiveExactlyAsync(socket, start, cancellationToken).ConfigureAwait(false);
        if (Preface.Match(start.AsSpan(0, 8)) != PrefaceMatch.Preface
            || !FrameHeader.TryRead(start.AsSpan(8), out var header)
            || header.Type != FrameType.Settings
            || header.Length > 16 * 1024)
        {
            throw new InvalidDataException("The server did not answer the v2 preface with its preface and SETTINGS.");
        }

        var settings = new byte[header.Length];
        await ReceiveExactlyAsync(socket, settings, cancellationToken).ConfigureAwait(false);
        if (!Settings.TryRead(settings, out _))
        {
            throw new InvalidDataException("The server's SETTINGS frame is malformed.");
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var received = 0;
        while (received < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer[received..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new InvalidDataException("The server closed the connection during the v2 handshake.");
            }

            received += read;
        }
    }
}
