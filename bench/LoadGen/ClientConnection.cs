using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;

namespace PluggableNet.LoadGen;

/// <summary>
/// One client connection in a closed loop: write a whole batch of <c>depth</c> requests in one send,
/// then read until every answer of the batch has arrived, comparing the bytes in place against the
/// precomputed answers. Nothing is allocated per request: buffers are pinned arrays built once,
/// and the socket's ValueTask operations reuse their internal event args.
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
    private readonly LongHistogram _histogram = LatencyHistogram.Create();
    private Socket? _socket;
    private long _completed;
    private long _wrongAnswers;
    private long _unexpectedCloses;

    public ClientConnection(LoadOptions options, RunState state, int index)
    {
        _state = state;
        _frameLength = options.Framing.HeaderLength + options.PayloadBytes;
        (_requests, _answers) = Payloads.BuildBatch(options.Framing, options.Logic, options.PayloadBytes, options.Depth, index);
        _receive = GC.AllocateUninitializedArray<byte>(Math.Min(_answers.Length, MaxReceiveBuffer), pinned: true);
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
            _socket = socket;
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return false;
        }
    }

    /// <summary>Runs batches until the run stops or this connection fails; failures are counted, never thrown.</summary>
    public async Task RunAsync()
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

    /// <summary>Closes the socket; a pending send or receive then completes with an error that the loop ignores.</summary>
    public void Dispose()
    {
        _socket?.Dispose();
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
