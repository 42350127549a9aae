using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;
using PluggableNet.Protocol.V2;

namespace PluggableNet.LoadGen;

/// <summary>
/// One client connection in a closed loop: write a whole batch of <c>depth</c> requests in one send,
/// then read until every answer of the batch has arrived, comparing the bytes in place against the
/// precomputed answers. Nothing is allocated per request: buffers are pinned arrays built once,
/// and the socket's ValueTask operations reuse their internal event args.
/// On v2 the batch's REQUEST frames get fresh, strictly increasing ids before each send, and every ANSWER is matched by
/// its id (each id of the batch exactly once, in any order) and its payload compared with the expected answer.
/// </summary>
internal sealed class ClientConnection : IDisposable
{
    // Large answers arrive in several reads anyway; 256 KiB keeps the read count low without wasting memory.
    private const int MaxReceiveBuffer = 256 * 1024;

    private readonly RunState _state;
    private readonly byte[] _requests;
    private readonly byte[] _answers;
    private readonly byte[] _receive;
    private readonly int _frameLength;
    private readonly WireVersion _version;
    private readonly bool[] _seen;
    private uint _nextId = 1;
    private readonly LongHistogram _histogram = LatencyHistogram.Create();
    private Socket? _socket;
    private long _completed;
    private long _wrongAnswers;
    private long _unexpectedCloses;

    public ClientConnection(LoadOptions options, RunState state, int index)
    {
        _state = state;
        _version = options.Protocol;
        if (_version == WireVersion.V2)
        {
            // _answers holds one expected answer payload; the receive buffer holds a whole batch of ANSWER frames.
            _frameLength = V2Wire.FrameLength(options.PayloadBytes);
            (_requests, _answers) = V2Wire.BuildBatch(options.Logic, options.PayloadBytes, options.Depth, index);
            _receive = GC.AllocateUninitializedArray<byte>(_frameLength * options.Depth, pinned: true);
            _seen = new bool[options.Depth];
            return;
        }

        _frameLength = options.Framing.HeaderLength + options.PayloadBytes;
        (_requests, _answers) = Payloads.BuildBatch(options.Framing, options.Logic, options.PayloadBytes, options.Depth, index);
        _receive = GC.AllocateUninitializedArray<byte>(Math.Min(_answers.Length, MaxReceiveBuffer), pinned: true);
        _seen = [];
    }

    /// <summary>Answers verified so far; written only by this connection's loop.</summary>
    public long Completed => Volatile.Read(ref _completed);

    public long WrongAnswers => Volatile.Read(ref _wrongAnswers);

    public long UnexpectedCloses => Volatile.Read(ref _unexpectedCloses);

    /// <summary>Latencies recorded during the measured window.</summary>
    public LongHistogram Histogram => _histogram;

    /// <summary>Opens the connection; false (and the socket disposed) on failure or timeout.</summary>
    public async Task<bool> ConnectAsync(EndPoint endPoint, TimeSpan timeout)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await socket.ConnectAsync(endPoint, cts.Token).ConfigureAwait(false);
            if (_version == WireVersion.V2)
            {
                await V2Wire.HandshakeAsync(socket, cts.Token).ConfigureAwait(false);
            }

            _socket = socket;
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or InvalidDataException)
        {
            socket.Dispose();
            return false;
        }
    }

    /// <summary>Runs batches until the run stops or this connection fails; failures are counted, never thrown.</summary>
    public Task RunAsync() => _version == WireVersion.V2 ? RunV2Async() : RunV1Async();

    /// <summary>Closes the socket; a pending send or receive then completes with an error that the loop ignores.</summary>
    public void Dispose()
    {
        _socket?.Dispose();
    }

    private async Task RunV1Async()
    {
        var socket = _socket ?? throw new InvalidOperationException("Not connected.");
        var requests = new ReadOnlyMemory<byte>(_requests);
        var batchLength = _answers.Length;
        try
        {
            while (!_state.Stopping)
            {
                var sentAt = Stopwatch.GetTimestamp();
                var sent = await socket.SendAsync(requests, SocketFlags.None).ConfigureAwait(false);
                if (sent != requests.Length)
                {
                    Fail(ref _unexpectedCloses);
                    return;
                }

                var received = 0;
                var framesDone = 0;
                while (received < batchLength)
                {
                    var count = Math.Min(_receive.Length, batchLength - received);
                    var read = await socket.ReceiveAsync(_receive.AsMemory(0, count), SocketFlags.None).ConfigureAwait(false);
                    if (read == 0)
                    {
                        Fail(ref _unexpectedCloses);
                        return;
                    }

                    // Headers and payloads are checked together: any difference is a wrong answer.
                    if (!_receive.AsSpan(0, read).SequenceEqual(_answers.AsSpan(received, read)))
                    {
                        Fail(ref _wrongAnswers);
                        return;
                    }

                    received += read;
                    var frames = received / _frameLength;
                    if (frames > framesDone)
                    {
                        Complete(frames - framesDone, Stopwatch.GetTimestamp() - sentAt);
                        framesDone = frames;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Fail(ref _unexpectedCloses);
        }
    }

    private async Task RunV2Async()
    {
        var socket = _socket ?? throw new InvalidOperationException("Not connected.");
        var requests = new ReadOnlyMemory<byte>(_requests);
        var depth = _seen.Length;
        var batchLength = _receive.Length;
        var payloadLength = _answers.Length;
        try
        {
            while (!_state.Stopping)
            {
                if (_nextId > uint.MaxValue - (uint)depth)
                {
                    // Ids may not wrap on a connection (docs/protocol.md, "Request ids and order"); billions of requests are far beyond a run.
                    Fail(ref _unexpectedCloses);
                    return;
                }

                var firstId = _nextId;
                V2Wire.WriteIds(_requests, _frameLength, firstId);
                _nextId += (uint)depth;
                Array.Clear(_seen);
                var sentAt = Stopwatch.GetTimestamp();
                var sent = await socket.SendAsync(requests, SocketFlags.None).ConfigureAwait(false);
                if (sent != requests.Length)
                {
                    Fail(ref _unexpectedCloses);
                    return;
                }

                // A batch's answers are exactly depth ANSWER frames of the same size: read no further than that.
                var received = 0;
                var parsed = 0;
                while (received < batchLength)
                {
                    var read = await socket.ReceiveAsync(_receive.AsMemory(received, batchLength - received), SocketFlags.None).ConfigureAwait(false);
                    if (read == 0)
                    {
                        Fail(ref _unexpectedCloses);
                        return;
                    }

                    received += read;
                    var frames = 0;
                    while (received - parsed >= FrameHeader.Size)
                    {
                        var frame = _receive.AsSpan(parsed, received - parsed);
                        var length = BinaryPrimitives.ReadUInt32BigEndian(frame);
                        var id = BinaryPrimitives.ReadUInt32BigEndian(frame[6..]) - firstId;

                        // Anything but an ANSWER of the expected size for a not yet answered id of this batch is wrong
                        // (an ERROR, a GOAWAY, a duplicate, an id of another batch).
                        if (frame[4] != (byte)FrameType.Answer || length != (uint)payloadLength || id >= (uint)depth || _seen[id])
                        {
                            Fail(ref _wrongAnswers);
                            return;
                        }

                        if (frame.Length < _frameLength)
                        {
                            break;
                        }

                        if (!frame.Slice(FrameHeader.Size, payloadLength).SequenceEqual(_answers))
                        {
                            Fail(ref _wrongAnswers);
                            return;
                        }

                        _seen[id] = true;
                        parsed += _frameLength;
                        frames++;
                    }

                    if (frames > 0)
                    {
                        Complete(frames, Stopwatch.GetTimestamp() - sentAt);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Fail(ref _unexpectedCloses);
        }
    }

    private void Complete(int frames, long elapsedTicks)
    {
        if (_state.Recording)
        {
            _histogram.RecordValueWithCount(LatencyHistogram.ToNanoseconds(elapsedTicks), frames);
        }

        Volatile.Write(ref _completed, _completed + frames);
    }

    private void Fail(ref long counter)
    {
        // Once the runner is stopping, a closed socket is our own doing.
        if (!_state.Stopping)
        {
            Interlocked.Increment(ref counter);
        }
    }
}
