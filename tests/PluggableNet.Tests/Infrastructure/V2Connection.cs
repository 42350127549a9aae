using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>One frame as read off the wire.</summary>
internal sealed record V2Frame(FrameType Type, uint Id, byte[] Payload)
{
    public string Text => Encoding.UTF8.GetString(Payload);

    public ErrorPayload Error => ErrorPayload.TryRead(Payload, out var error) ? error : throw new InvalidDataException($"not an ERROR payload: {Convert.ToHexString(Payload)}");

    public GoAwayPayload GoAway => GoAwayPayload.TryRead(Payload, out var goAway) ? goAway : throw new InvalidDataException($"not a GOAWAY payload: {Convert.ToHexString(Payload)}");

    public override string ToString() => $"{Type} id {Id} ({Payload.Length} bytes)";
}

/// <summary>
/// A raw protocol v2 peer for tests: frames written and read byte by byte as docs/protocol.md says, with a deadline on
/// every read. Deliberately not the client library, so the host is tested against the specification itself.
/// </summary>
internal sealed class V2Connection : IDisposable
{
    private static readonly TimeSpan s_readTimeout = TimeSpan.FromSeconds(10);

    private V2Connection(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    /// <summary>The host's SETTINGS, once <see cref="OpenAsync"/> read them.</summary>
    public Settings Settings { get; private set; } = new();

    /// <summary>Connects and sends the preface, without reading the host's.</summary>
    public static V2Connection Connect(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(endPoint);
        return new V2Connection(socket);
    }

    /// <summary>Connects, sends the preface, and reads the host's preface and SETTINGS.</summary>
    public static async Task<V2Connection> OpenAsync(IPEndPoint endPoint)
    {
        var connection = Connect(endPoint);
        await connection.SendRawAsync(Preface.Bytes.ToArray());
        await connection.ReadPrefaceAsync();
        return connection;
    }

    public async Task ReadPrefaceAsync()
    {
        var preface = new byte[Preface.Bytes.Length];
        await ReadExactlyAsync(preface);
        Assert.Equal(Preface.Bytes.ToArray(), preface);
        var settings = await ReadFrameAsync();
        Assert.Equal(FrameType.Settings, settings.Type);
        Assert.Equal(0u, settings.Id);
        Assert.True(Settings.TryRead(settings.Payload, out var read), "SETTINGS payload");
        Settings = read;
    }

    public static byte[] Encode(FrameType type, uint id, ReadOnlySpan<byte> payload, byte flags = 0)
    {
        var bytes = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader((uint)payload.Length, type, flags, id).Write(bytes);
        payload.CopyTo(bytes.AsSpan(FrameHeader.Size));
        return bytes;
    }

    public static byte[] Request(uint id, string payload) => Encode(FrameType.Request, id, Encoding.UTF8.GetBytes(payload));

    public Task SendAsync(FrameType type, uint id, ReadOnlySpan<byte> payload = default) => SendRawAsync(Encode(type, id, payload));

    public Task RequestAsync(uint id, string payload) => SendRawAsync(Request(id, payload));

    public async Task SendRawAsync(byte[] frames)
    {
        ReadOnlyMemory<byte> bytes = frames;
        while (!bytes.IsEmpty)
        {
            var sent = await Socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Sends a request and reads the next frame, which must be its answer.</summary>
    public async Task<string> AskAsync(uint id, string payload)
    {
        await RequestAsync(id, payload);
        var frame = await ReadFrameAsync();
        Assert.True(frame.Type == FrameType.Answer && frame.Id == id, $"expected the ANSWER to {id}, got {frame} {frame.Text}");
        return frame.Text;
    }

    /// <summary>Reads one frame; <see cref="EndOfStreamException"/> when the host closed first.</summary>
    public async Task<V2Frame> ReadFrameAsync(TimeSpan? timeout = null)
    {
        var header = new byte[FrameHeader.Size];
        await ReadExactlyAsync(header, timeout);
        Assert.True(FrameHeader.TryRead(header, out var parsed));
        var payload = new byte[parsed.Length];
        await ReadExactlyAsync(payload, timeout);
        return new V2Frame(parsed.Type, parsed.Id, payload);
    }

    /// <summary>Reads frames until one of <paramref name="type"/> comes, answering PINGs on the way; the ones skipped are returned too.</summary>
    public async Task<(V2Frame Frame, List<V2Frame> Before)> ReadUntilAsync(FrameType type, TimeSpan? timeout = null)
    {
        var before = new List<V2Frame>();
        while (true)
        {
            var frame = await ReadFrameAsync(timeout);
            if (frame.Type == type)
            {
                return (frame, before);
            }

            before.Add(frame);
        }
    }

    /// <summary>Reads to the end of the stream: 0 for a clean end (FIN); a reset throws.</summary>
    public async Task<int> ReadToEndAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? s_readTimeout);
        var buffer = new byte[4096];
        var total = 0;
        int received;
        while ((received = await Socket.ReceiveAsync(buffer, SocketFlags.None, cancellation.Token)) > 0)
        {
            total += received;
        }

        return total;
    }

    public async Task ReadExactlyAsync(Memory<byte> buffer, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? s_readTimeout);
        while (!buffer.IsEmpty)
        {
            var received = await Socket.ReceiveAsync(buffer, SocketFlags.None, cancellation.Token);
            if (received == 0)
            {
                throw new EndOfStreamException("the host closed the connection");
            }

            buffer = buffer[received..];
        }
    }

    public static byte[] PingPayload(long value)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(payload, value);
        return payload;
    }

    public void Dispose() => Socket.Dispose();
}
