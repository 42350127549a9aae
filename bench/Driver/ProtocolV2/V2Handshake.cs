using System.Net.Sockets;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Bench.Driver.ProtocolV2;

/// <summary>The client's side of v2 negotiation: our preface, then the server's preface and its SETTINGS frame.</summary>
internal static class V2Handshake
{
    public static async Task<Settings> RunAsync(Socket socket, CancellationToken cancellationToken)
    {
        await socket.SendAsync(Preface.Bytes.ToArray(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        var start = new byte[8 + FrameHeader.Size];
        await ReadExactlyAsync(socket, start, cancellationToken).ConfigureAwait(false);
        if (Preface.Match(start.AsSpan(0, 8)) != PrefaceMatch.Preface || !FrameHeader.TryRead(start.AsSpan(8), out var header) || header.Type != FrameType.Settings || header.Length > 16 * 1024)
        {
            throw new InvalidDataException("The server did not answer the v2 preface with its preface and SETTINGS.");
        }

        var payload = new byte[header.Length];
        await ReadExactlyAsync(socket, payload, cancellationToken).ConfigureAwait(false);
        return Settings.TryRead(payload, out var settings) ? settings : throw new InvalidDataException("Malformed SETTINGS.");
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        for (var received = 0; received < buffer.Length;)
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
