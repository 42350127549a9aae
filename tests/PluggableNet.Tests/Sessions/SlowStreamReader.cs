using System.Net;
using System.Net.Sockets;
using System.Text;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Tests.Sessions;

/// <summary>
/// A <see cref="RoomPlugin"/> member that reads its stream slowly, in small pieces, through a small receive buffer, so
/// the host's sends to it are partial (a frame cut anywhere, mid-header or mid-payload). It parses every byte itself
/// (v1: five ASCII digits and the payload; v2: the preface, SETTINGS, then frames), sets pushes and answers apart, and
/// checks each answer against how many pushes had to come before it.
/// </summary>
internal sealed class SlowStreamReader : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly bool _v2;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _lock = new();
    private readonly List<string> _pushes = [];
    private readonly Queue<(uint Id, int PushesBefore)> _asked = new();
    private readonly List<string> _answers = [];
    private readonly List<string> _violations = [];
    private readonly Random _random;
    private byte[] _buffer = new byte[256 * 1024];
    private int _buffered;
    private uint _nextId;
    private bool _prefaceRead;

    private SlowStreamReader(Socket socket, bool v2, int seed)
    {
        _socket = socket;
        _v2 = v2;
        _random = new Random(seed);
    }

    public IReadOnlyList<string> Pushes
    {
        get
        {
            lock (_lock)
            {
                return [.. _pushes];
            }
        }
    }

    public IReadOnlyList<string> Answers
    {
        get
        {
            lock (_lock)
            {
                return [.. _answers];
            }
        }
    }

    /// <summary>Answers that came before pushes queued before their request was sent, or to the wrong request.</summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_lock)
            {
                return [.. _violations];
            }
        }
    }

    public static async Task<SlowStreamReader> ConnectAsync(IPEndPoint endPoint, string protocol, int seed)
    {
        // A small receive buffer, set before connecting so the window is small from the start.
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(endPoint);
        var reader = new SlowStreamReader(socket, protocol == "v2", seed);
        if (reader._v2)
        {
            await reader.SendAsync(Preface.Bytes.ToArray());
        }

        return reader;
    }

    /// <summary>Sends <paramref name="request"/>; its answer must come after at least <paramref name="pushesBefore"/> pushes.</summary>
    public async Task AskAsync(string request, int pushesBefore)
    {
        await _sendLock.WaitAsync();
        try
        {
            await SendUnlockedAsync(Asked(request, pushesBefore));
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends every request in one write (the host reads them together, in one pass); no push is required before the answers.</summary>
    public async Task AskAllAsync(IEnumerable<string> requests)
    {
        await _sendLock.WaitAsync();
        try
        {
            await SendUnlockedAsync([.. requests.SelectMany(request => Asked(request, 0))]);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Reads, a few hundred bytes at a time with pauses, until <paramref name="done"/> holds; false at the deadline.</summary>
    public async Task<bool> ReadUntilAsync(Func<SlowStreamReader, bool> done, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        var reads = 0;
        while (!done(this))
        {
            if (_buffered == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var piece = Math.Min(_buffer.Length - _buffered, _random.Next(1, 1500));
            int received;
            try
            {
                received = await _socket.ReceiveAsync(_buffer.AsMemory(_buffered, piece), SocketFlags.None, cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            if (received == 0)
            {
                throw new EndOfStreamException($"the host closed the stream; {Pushes.Count} pushes and {Answers.Count} answers read");
            }

            _buffered += received;
            await ParseAsync();
            if (++reads % 4 == 0)
            {
                // Slow: the host's buffers for this member fill up and its sends go out in pieces.
                await Task.Delay(1, cancellation.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        return true;
    }

    private async Task ParseAsync()
    {
        var consumed = 0;
        while (TryTakeFrame(_buffer.AsSpan(consumed, _buffered - consumed), out var length, out var type, out var id, out var payload))
        {
            consumed += length;
            if (type == FrameType.Ping)
            {
                await SendAsync(Infrastructure.V2Connection.Encode(FrameType.Pong, 0, payload));
                continue;
            }

            OnFrame(type, id, Encoding.UTF8.GetString(payload));
        }

        _buffer.AsSpan(consumed, _buffered - consumed).CopyTo(_buffer);
        _buffered -= consumed;
    }

    private bool TryTakeFrame(ReadOnlySpan<byte> data, out int length, out FrameType type, out uint id, out byte[] payload)
    {
        (length, type, id, payload) = (0, FrameType.Answer, 0, []);
        if (_v2 && !_prefaceRead)
        {
            if (data.Length < Preface.Bytes.Length)
            {
                return false;
            }

            Assert.True(data[..Preface.Bytes.Length].SequenceEqual(Preface.Bytes), "the host's preface");
            _prefaceRead = true;
            length = Preface.Bytes.Length;
            type = FrameType.Settings;
            return true;
        }

        var headerLength = _v2 ? FrameHeader.Size : Frames.DefaultDigits;
        if (data.Length < headerLength)
        {
            return false;
        }

        int payloadLength;
        if (_v2)
        {
            Assert.True(FrameHeader.TryRead(data, out var header), "a v2 frame header");
            (payloadLength, type, id) = ((int)header.Length, header.Type, header.Id);
        }
        else
        {
            Assert.True(int.TryParse(Encoding.ASCII.GetString(data[..headerLength]), out payloadLength), $"a v1 header, got '{Encoding.ASCII.GetString(data[..headerLength])}'");
        }

        if (data.Length < headerLength + payloadLength)
        {
            return false;
        }

        length = headerLength + payloadLength;
        payload = data.Slice(headerLength, payloadLength).ToArray();
        if (!_v2)
        {
            type = SessionClient.IsPush(Encoding.UTF8.GetString(payload)) ? FrameType.Push : FrameType.Answer;
        }

        return true;
    }

    private void OnFrame(FrameType type, uint id, string text)
    {
        lock (_lock)
        {
            switch (type)
            {
                case FrameType.Settings:
                    return;
                case FrameType.Push:
                    _pushes.Add(text);
                    return;
                case FrameType.Answer when _asked.TryDequeue(out var asked):
                    if (_v2 && id != asked.Id)
                    {
                        _violations.Add($"the answer to {id} came where the one to {asked.Id} was due");
                    }

                    if (_pushes.Count < asked.PushesBefore)
                    {
                        _violations.Add($"answer {asked.Id} came after {_pushes.Count} pushes; {asked.PushesBefore} were queued before it was asked");
                    }

                    _answers.Add(text);
                    return;
                default:
                    _violations.Add($"an unexpected {type} frame {id}: {text[..Math.Min(text.Length, 80)]}");
                    return;
            }
        }
    }

    /// <summary>Under the send lock: <paramref name="request"/>'s frame, its answer expected after <paramref name="pushesBefore"/> pushes.</summary>
    private byte[] Asked(string request, int pushesBefore)
    {
        var payload = Encoding.UTF8.GetBytes(request);
        var id = ++_nextId;
        lock (_lock)
        {
            _asked.Enqueue((id, pushesBefore));
        }

        return _v2 ? Infrastructure.V2Connection.Encode(FrameType.Request, id, payload) : Frames.Ascii(payload);
    }

    private async Task SendAsync(byte[] bytes)
    {
        await _sendLock.WaitAsync();
        try
        {
            await SendUnlockedAsync(bytes);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task SendUnlockedAsync(byte[] bytes)
    {
        ReadOnlyMemory<byte> rest = bytes;
        while (!rest.IsEmpty)
        {
            rest = rest[await _socket.SendAsync(rest, SocketFlags.None)..];
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _sendLock.Dispose();
        return ValueTask.CompletedTask;
    }
}
