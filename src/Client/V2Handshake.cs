using PluggableNet.Protocol.V2;

namespace PluggableNet.Client;

/// <summary>
/// Opens protocol v2 on a connected socket (or inside its TLS stream) (docs/protocol.md, "Negotiation"): sends the preface, then reads the server's
/// preface and its SETTINGS frame, exactly those bytes and no more, so nothing after them is read here. The client
/// sends no request before both arrived, so a host that refuses v2 (it closes, reading the preface as an invalid v1
/// header) has processed nothing.
/// </summary>
internal static class V2Handshake
{
    /// <summary>Returns the server's settings.</summary>
    /// <exception cref="IOException">The server closed, or did not answer with its preface and SETTINGS; the message says which.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The connection failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> (the connect timeout) fired.</exception>
    public static async Task<Settings> RunAsync(Stream stream, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(Preface.Bytes.ToArray(), cancellationToken).ConfigureAwait(false);

        var preface = new byte[Preface.Bytes.Length];
        var received = await ReceiveAsync(stream, preface, cancellationToken).ConfigureAwait(false);
        if (Preface.Match(preface.AsSpan(0, received)) != PrefaceMatch.Preface)
        {
            throw new IOException(received == 0
                ? "closed the connection without answering the v2 preface: the host does not speak protocol v2 (Framing:AllowV2=false, or a host older than v2); use Protocol V1 for it"
                : $"answered the v2 preface with 0x{Convert.ToHexString(preface, 0, received)}, not the preface: it does not speak protocol v2; use Protocol V1 for it");
        }

        var headerBytes = new byte[FrameHeader.Size];
        if (await ReceiveAsync(stream, headerBytes, cancellationToken).ConfigureAwait(false) < headerBytes.Length)
        {
            throw new IOException("closed the connection after its v2 preface, before its SETTINGS frame");
        }

        FrameHeader.TryRead(headerBytes, out var header);
        if (header.Type != FrameType.Settings || header.Length > V2FrameReader.MaxControlBytes)
        {
            throw new IOException($"broke the protocol: its first v2 frame is {header.Type} of {header.Length} bytes, not SETTINGS of at most {V2FrameReader.MaxControlBytes}");
        }

        var payload = new byte[header.Length];
        if (await ReceiveAsync(stream, payload, cancellationToken).ConfigureAwait(false) < payload.Length)
        {
            throw new IOException("closed the connection in the middle of its SETTINGS frame");
        }

        if (!Settings.TryRead(payload, out var settings))
        {
            throw new IOException($"broke the protocol: its SETTINGS frame is malformed (0x{Convert.ToHexString(payload)})");
        }

        return settings;
    }

    /// <summary>Fills <paramref name="buffer"/>; returns fewer bytes only when the server closed first.</summary>
    private static async Task<int> ReceiveAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
