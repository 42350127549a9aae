using System.IO.Pipelines;
using System.Net.Sockets;
using PluggableNet.Protocol;

namespace PluggableNet.Client;

/// <summary>
/// One persistent protocol-v1 connection: requests are appended in order to a send pipe that the send loop writes out (all
/// requests queued meanwhile go out together), and the receive loop matches each answer to the oldest request
/// waiting, since the host answers in order. A request that timed out or was cancelled stays in the queue until its
/// answer arrives and is dropped, so the order never slips. It knows nothing of the client: what happens to the
/// requests it leaves is reported in <see cref="Ended"/>, and the client decides.
/// </summary>
internal sealed partial class V1Connection : ClientConnection
{
    /// <summary>Pipe segments: large enough that a burst of small requests or answers goes in one system call.</summary>
    private const int SegmentBytes = 16 * 1024;

    private readonly Socket _socket;
    private readonly LengthHeader _header;
    private readonly int _maxAnswerBytes;
    private readonly object _lock = new();
    private readonly Queue<PendingRequest> _inFlight = new();
    private readonly Pipe _send;
    private readonly Pipe _receive;
    private long _queuedBytes;
    private long _sentBytes;
    private int _pending;
    private bool _closed;
    private bool _retired;
    private volatile bool _closedByClient;
    private long _retiredAt;
    private Task<ConnectionEnded>? _receiveLoop;
    private Task _sendLoop = Task.CompletedTask;

    public V1Connection(Socket socket, EndpointState endpoint, LengthHeader header, int maxAnswerBytes)
        : base(endpoint)
    {
        _socket = socket;
        _header = header;
        _maxAnswerBytes = maxAnswerBytes;

        // Unbounded (writers never wait: requests are bounded by the callers, answers are consumed at once). The send
        // loop is woken on the thread pool so that a caller enqueuing under the lock never runs it inline.
        _send = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: SegmentBytes, useSynchronizationContext: false));
        _receive = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: SegmentBytes, useSynchronizationContext: false));
    }

    /// <summary>Requests written or queued whose answer has not been read (cancelled and timed-out ones included).</summary>
    public override int Pending => Volatile.Read(ref _pending);

    /// <inheritdoc/>
    public override bool Usable
    {
        get
        {
            lock (_lock)
            {
                return !_closed && !_retired;
            }
        }
    }

    /// <inheritdoc/>
    public override Task<ConnectionEnded> Ended => _receiveLoop ?? throw new InvalidOperationException("The connection was not started.");

    /// <inheritdoc/>
    public override Task Completion => Task.WhenAll(Ended, _sendLoop);

    public override void Start()
    {
        _sendLoop = SendLoopAsync();
        _receiveLoop = ReceiveLoopAsync();
    }

    /// <summary>Queues <paramref name="request"/> behind the others; false if the connection takes no new requests.</summary>
    public override bool TryEnqueue(PendingRequest request)
    {
        lock (_lock)
        {
            if (_closed || _retired)
            {
                return false;
            }

            var writer = _send.Writer;
            var length = request.FrameLength;
            request.Frame.CopyTo(writer.GetSpan(length));
            writer.Advance(length);
            _queuedBytes += length;
            request.EndOffset = _queuedBytes;
            request.LastEndpoint = Endpoint.EndPoint;
            _inFlight.Enqueue(request);
            _pending++;

            // Never waits (no pause threshold); it only wakes the send loop.
            var flush = writer.FlushAsync();
            flush.GetAwaiter().GetResult();
        }

        return true;
    }

    /// <summary>
    /// Fails requests whose deadline has passed (their answers will be dropped) and gives up a connection that has
    /// stopped answering: once its oldest request has timed out it takes no new ones, and it is closed when it has
    /// caught up, or when no request on it is still awaited and the oldest has been overdue for its timeout once more
    /// (at least a second): the client never cuts a request someone still waits for.
    /// </summary>
    public override ScanOutcome Scan(long now)
    {
        var abort = false;
        var stalled = false;
        var timedOut = 0;
        lock (_lock)
        {
            if (_closed)
            {
                return default;
            }

            var anyWaiting = false;
            foreach (var request in _inFlight)
            {
                if (now >= request.Deadline && !request.IsCompleted
                    && request.TrySetException(new TimeoutException($"No answer from {Endpoint.Name} within {request.Timeout}; the request may have been processed. Its answer, if it comes, is dropped.")))
                {
                    timedOut++;
                }

                anyWaiting |= !request.IsCompleted;
            }

            if (_inFlight.TryPeek(out var oldest) && now >= oldest.Deadline)
            {
                if (!_retired)
                {
                    _retired = true;
                    _retiredAt = now;
                    stalled = true;
                }
                else if (!anyWaiting && now - _retiredAt >= Math.Max(oldest.Timeout.TotalMilliseconds, 1000))
                {
                    // Nobody waits for anything on it any more: stop holding the server's resources.
                    abort = true;
                }
            }
        }

        if (abort)
        {
            Close();
        }

        return new ScanOutcome(timedOut, stalled);
    }

    /// <summary>Closes the socket from our side; the receive loop ends and reports <see cref="ConnectionEnd.ClosedByClient"/>.</summary>
    public override void Close()
    {
        _closedByClient = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        _socket.Dispose();
    }

    private async Task SendLoopAsync()
    {
        var reader = _send.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    var unsent = segment;
                    while (!unsent.IsEmpty)
                    {
                        var sent = await _socket.SendAsync(unsent, SocketFlags.None).ConfigureAwait(false);
                        unsent = unsent[sent..];
                    }
                }

                Volatile.Write(ref _sentBytes, _sentBytes + buffer.Length);
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // The receive loop tells how the connection ended. Requests not sent whole are resent from there; new ones go elsewhere.
        }
        finally
        {
            lock (_lock)
            {
                // No writer appends to a connection that is retired; its queued bytes go back to the pool.
                _retired = true;
                reader.Complete();
            }
        }
    }

    private ConnectionEnded End(ConnectionEnd how, string reason, Exception? error)
    {
        List<PendingRequest> orphans;
        lock (_lock)
        {
            _closed = true;
            orphans = [.. _inFlight];
            _inFlight.Clear();
            _pending = 0;

            // Ends the send loop if it waits for requests.
            _send.Writer.Complete();
        }

        _socket.Dispose();
        return new ConnectionEnded(_closedByClient ? ConnectionEnd.ClosedByClient : how, reason, error, orphans, Volatile.Read(ref _sentBytes));
    }
}
