using System.Net;
using System.Net.Sockets;
using System.Text;
using PluggableNet.Protocol.V2;
using PluggableNet.Testing;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// A raw loopback peer that pipelines: each burst is <c>depth</c> requests in one write (v1 frames, or v2 REQUESTs with
/// increasing ids), then every answer is read and checked before the next burst. Serves a Reverse plugin: the answer
/// to <see cref="Payload"/> is <see cref="Answer"/>. Buffers are built once, so the peer adds little work per request.
/// </summary>
internal sealed class PipelinedPeer : IDisposable
{
    public const string Payload = "abcdefgh";
    public const string Answer = "hgfedcba";

    private static readonly TimeSpan s_readTimeout = TimeSpan.FromSeconds(30);
    private readonly Socket _socket;
    private readonly bool _v2;
    private readonly int _depth;
    private readonly byte[] _burst;
    private readonly byte[] _answers;
    private readonly byte[] _expected;
    private readonly int _frameLength;
    private uint _nextId = 1;

    private PipelinedPeer(Socket socket, bool v2, int depth)
    {
        _socket = socket;
        _v2 = v2;
        _depth = depth;
        var payload = Encoding.ASCII.GetBytes(Payload);
        var answer = Encoding.ASCII.GetBytes(Answer);
        var request = v2 ? V2Connection.Encode(FrameType.Request, 1, payload) : Frames.Ascii(payload);
        var reply = v2 ? V2Connection.Encode(FrameType.Answer, 1, answer) : Frames.Ascii(answer);
        _frameLength = request.Length;
        _burst = new byte[request.Length * depth];
        _answers = new byte[reply.Length * depth];
        _expected = new byte[reply.Length * depth];
        for (var i = 0; i < depth; i++)
        {
            request.CopyTo(_burst, i * request.Length);
            reply.CopyTo(_expected, i * reply.Length);
        }
    }

    public long Answered { get; private set; }

    /// <summary>Connects; on v2 also exchanges the prefaces.</summary>
    public static async Task<PipelinedPeer> OpenAsync(IPEndPoint endPoint, string protocol, int depth)
    {
        if (protocol == "v2")
        {
            var connection = await V2Connection.OpenAsync(endPoint);
            return new PipelinedPeer(connection.Socket, v2: true, depth);
        }

        var client = FrameClient.Connect(endPoint);
        return new PipelinedPeer(client.Socket, v2: false, depth);
    }

    /// <summary>Runs <paramref name="bursts"/> bursts; throws on a wrong or missing answer.</summary>
    public async Task RunAsync(int bursts)
    {
        for (var b = 0; b < bursts; b++)
        {
            var first = _nextId;
            if (_v2)
            {
                for (var i = 0; i < _depth; i++)
                {
                    new FrameHeader((uint)Payload.Length, FrameType.Request, 0, _nextId++).Write(_burst.AsSpan(i * _frameLength));
                }
            }

            await SendAsync(_burst);
            await ReceiveAsync(_answers);
            Check(first);
            Answered += _depth;
        }
    }

    public void Dispose() => _socket.Dispose();

    private void Check(uint first)
    {
        if (!_v2)
        {
            if (!_answers.AsSpan().SequenceEqual(_expected))
            {
                throw new InvalidDataException($"wrong v1 answers: {Encoding.ASCII.GetString(_answers)}");
            }

            return;
        }

        // v2 promises no order: every id of the burst once, each an ANSWER with the reversed payload.
        var seen = new bool[_depth];
        var length = _answers.Length / _depth;
        for (var i = 0; i < _depth; i++)
        {
            var frame = _answers.AsSpan(i * length, length);
            if (!FrameHeader.TryRead(frame, out var header) || header.Type != FrameType.Answer || header.Id < first || header.Id >= first + _depth
                || seen[header.Id - first] || Encoding.ASCII.GetString(frame[FrameHeader.Size..]) != Answer)
            {
                throw new InvalidDataException($"wrong v2 answer {header} in the burst from id {first}");
            }

            seen[header.Id - first] = true;
        }
    }

    private async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    private async Task ReceiveAsync(Memory<byte> buffer)
    {
        using var cancellation = new CancellationTokenSource(s_readTimeout);
        while (!buffer.IsEmpty)
        {
            var received = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellation.Token);
            if (received == 0)
            {
                throw new EndOfStreamException("the host closed the connection");
            }

            buffer = buffer[received..];
        }
    }
}
