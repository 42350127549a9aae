using System.Buffers;
using System.Net.Sockets;
using System.Text;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Tests.Client;

/// <summary>
/// The server's side of protocol v2 written by hand, for a scripted <see cref="RawPeer"/>: it answers the preface with
/// its own and a SETTINGS frame, reads and writes frames. What is tested is the client; this only speaks the bytes of
/// docs/protocol.md ("Version 2"), built with PluggableNet.Protocol.V2's codec.
/// </summary>
internal static class V2Wire
{
    /// <summary>A frame as the peer read it.</summary>
    public sealed record Frame(FrameType Type, uint Id, byte[] Payload)
    {
        public string Text => Encoding.UTF8.GetString(Payload);
    }

    /// <summary>Reads the client's preface and answers with the server's preface and <paramref name="settings"/>; false if the client sent something else.</summary>
    public static async Task<bool> AcceptAsync(Socket socket, Settings? settings = null)
    {
        var preface = new byte[Preface.Bytes.Length];
        if (!await ReadExactlyAsync(socket, preface) || Preface.Match(preface) != PrefaceMatch.Preface)
        {
            return false;
        }

        var body = new ArrayBufferWriter<byte>();
        (settings ?? new Settings { Server = "V2Wire/1.0.0", Plugin = "Scripted/1.0.0" }).Write(body);
        await socket.SendAsync((byte[])[.. Preface.Bytes, .. Bytes(FrameType.Settings, 0, body.WrittenSpan)], SocketFlags.None);
        return true;
    }

    /// <summary>The next frame; null at EOF, reset or after <paramref name="timeout"/> (20 s by default).</summary>
    public static async Task<Frame?> ReadAsync(Socket socket, TimeSpan? timeout = null)
    {
        var header = new byte[FrameHeader.Size];
        if (!await ReadExactlyAsync(socket, header, timeout))
        {
            return null;
        }

        FrameHeader.TryRead(header, out var parsed);
        var payload = new byte[parsed.Length];
        return await ReadExactlyAsync(socket, payload, timeout) ? new Frame(parsed.Type, parsed.Id, payload) : null;
    }

    /// <summary>Reads frames until one of <paramref name="type"/>; frames of other types are returned in <paramref name="skipped"/>.</summary>
    public static async Task<Frame?> ReadUntilAsync(Socket socket, FrameType type, List<Frame>? skipped = null, TimeSpan? timeout = null)
    {
        while (await ReadAsync(socket, timeout) is { } frame)
        {
            if (frame.Type == type)
            {
                return frame;
            }

            skipped?.Add(frame);
        }

        return null;
    }

    /// <summary>Whether the client sends nothing for <paramref name="span"/> (a check of absence has to wait that long).</summary>
    public static bool StaysQuiet(Socket socket, TimeSpan span) => !socket.Poll(span, SelectMode.SelectRead);

    public static Task WriteAsync(Socket socket, FrameType type, uint id, ReadOnlySpan<byte> payload) =>
        socket.SendAsync(Bytes(type, id, payload), SocketFlags.None);

    public static Task AnswerAsync(Socket socket, uint id, string answer) => WriteAsync(socket, FrameType.Answer, id, Encoding.UTF8.GetBytes(answer));

    public static Task ErrorAsync(Socket socket, uint id, ErrorCode code, string text)
    {
        var body = new ArrayBufferWriter<byte>();
        new ErrorPayload(code, text).Write(body);
        return WriteAsync(socket, FrameType.Error, id, body.WrittenSpan);
    }

    public static Task GoAwayAsync(Socket socket, uint lastId, ErrorCode code, string text)
    {
        var body = new ArrayBufferWriter<byte>();
        new GoAwayPayload(lastId, code, text).Write(body);
        return WriteAsync(socket, FrameType.GoAway, 0, body.WrittenSpan);
    }

    public static byte[] Bytes(FrameType type, uint id, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader((uint)payload.Length, type, 0, id).Write(bytes);
        payload.CopyTo(bytes.AsSpan(FrameHeader.Size));
        return bytes;
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, TimeSpan? timeout = null)
    {
        try
        {
            using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
            while (!buffer.IsEmpty)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                if (read == 0)
                {
                    return false;
                }

                buffer = buffer[read..];
            }

            return true;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
    }
}
