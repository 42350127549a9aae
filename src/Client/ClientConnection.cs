using System.Buffers;
using System.Net.Sockets;

namespace PluggableNet.Client;

/// <summary>
/// One persistent connection: requests are appended in order to one output buffer that a send loop writes out
/// (all requests queued meanwhile go in one send), and the receive loop matches each answer to the oldest request
/// waiting, since the host answers in order. A request that timed out or was cancelled stays in the queue until its
/// answer arrives and is dropped, so the order never slips.
/// </summary>
internal sealed class ClientConnection
{
    private const int ReceiveBufferBytes = 16 * 1024;
    private static long s_ids;

    private readonly Socket _socket;
    private readonly FrameHeader _header;
    private readonly PluggableNetClient _owner;
    private readonly object _lock = new();
    private readonly Queue<PendingRequest> _inFlight = new();
    private readonly AsyncSignal _sendSignal = new();
    private byte[] _output = [];
    private int _outputLength;
    private byte[] _sending = [];
    private long _queuedBytes;
    private long _sentBytes;
    private int _pending;
    private bool _closed;
    private bool _retired;
    private bool _sendWaiting;
    private volatile bool _closedByClient;
    private long _retiredAt;
    private Task _receiveLoop = Task.CompletedTask;
    private Task _sendLoop = Task.CompletedTask;

    public ClientConnection(Socket socket, EndpointState endpoint, FrameHeader header, PluggableNetClient owner)
    {
        _socket = socket;
        Endpoint = endpoint;
        _header = header;
        _owner = owner;
        Id = Interlocked.Increment(ref s_ids);
    }

    public long Id { get; }

    public EndpointState Endpoint { get; }

    /// <summary>Requests written or queued whose answer has not been read (cancelled and timed-out ones included).</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Whether new requests may go on this connection.</summary>
    public bool Usable
    {
        get
        {
            lock (_lock)
            {
                return !_closed && !_retired;
            }
        }
    }

    /// <summary>Bytes handed to the kernel so far: a request ending past it was never sent whole.</summary>
    public long SentBytes => Volatile.Read(ref _sentBytes);

    public void Start()
    {
        _sendLoop = SendLoopAsync();
        _receiveLoop = ReceiveLoopAsync();
    }

    /// <summary>Queues <paramref name="request"/> behind the others; false if the connection takes no new requests.</summary>
    public bool TryEnqueue(PendingRequest request)
    {
        bool wake;
        lock (_lock)
        {
            if (_closed || _retired)
            {
                return false;
            }

            var length = request.FrameLength;
            if (_output.Length - _outputLength < length)
            {
                Grow(ref _output, _outputLength, _outputLength + length);
            }

            request.Frame.CopyTo(_output.AsSpan(_outputLength));
            _outputLength += length;
            _queuedBytes += length;
            request.EndOffset = _queuedBytes;
            request.LastEndpoint = Endpoint.EndPoint;
            _inFlight.Enqueue(request);
            _pending++;
            wake = _sendWaiting;
            _sendWaiting = false;
        }

        if (wake)
        {
            _sendSignal.Set();
        }

        return true;
    }

    /// <summary>
    /// Fails requests whose deadline has passed (their answers will be dropped) and gives up a connection that has
    /// stopped answering: once its oldest request has timed out it takes no new ones, and it is closed when it has
    /// caught up, or when no request on it is still awaited and the oldest has been overdue for its timeout once more
    /// (at least a second): the client never cuts a request someone still waits for.
    /// </summary>
    public void Scan(long now)
    {
        var abort = false;
        var retire = false;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            var anyWaiting = false;
            foreach (var request in _inFlight)
            {
                if (now >= request.Deadline && !request.IsCompleted
                    && request.TrySetException(new TimeoutException($"No answer from {Endpoint.Name} within {request.Timeout}; the request may have been processed. Its answer, if it comes, is dropped.")))
                {
                    _owner.CountTimeout();
                }

                anyWaiting |= !request.IsCompleted;
            }

            if (_inFlight.TryPeek(out var oldest) && now >= oldest.Deadline)
            {
                if (!_retired)
                {
                    _retired = true;
                    _retiredAt = now;
                    retire = true;
                }
                else if (!anyWaiting && now - _retiredAt >= Math.Max(oldest.Timeout.TotalMilliseconds, 1000))
                {
                    // Nobody waits for anything on it any more: stop holding the server's resources.
                    abort = true;
                }
            }
        }

        if (retire)
        {
            _owner.OnRetired(this);
        }

        if (abort)
        {
            Close();
        }
    }

    /// <summary>Closes the socket from our side; the receive loop ends and reports <see cref="ConnectionEnd.ClosedByClient"/>.</summary>
    public void Close()
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

    /// <summary>Waits for both loops to end (after <see cref="Close"/>).</summary>
    public Task Completion => Task.WhenAll(_receiveLoop, _sendLoop);

    private static void Grow(ref byte[] buffer, int used, int needed)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(4096, buffer.Length * 2)));
        buffer.AsSpan(0, used).CopyTo(bigger);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        buffer = bigger;
    }

    private async Task SendLoopAsync()
    {
        try
        {
            while (true)
            {
                var length = 0;
                lock (_lock)
                {
                    if (_outputLength == 0)
                    {
                        if (_closed)
                        {
                            return;
                        }

                        _sendSignal.Reset();
                        _sendWaiting = true;
                    }
                    else
                    {
                        (_output, _sending) = (_sending, _output);
                        length = _outputLength;
                        _outputLength = 0;
                    }
                }

                if (length == 0)
                {
                    await _sendSignal.WaitAsync().ConfigureAwait(false);
                    continue;
                }

                var unsent = _sending.AsMemory(0, length);
                while (!unsent.IsEmpty)
                {
                    var sent = await _socket.SendAsync(unsent, SocketFlags.None).ConfigureAwait(false);
                    unsent = unsent[sent..];
                }

                Volatile.Write(ref _sentBytes, _sentBytes + length);
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // The receive loop tells how the connection ended. Requests not sent whole are resent from there; new ones go elsewhere.
            lock (_lock)
            {
                _retired = true;
            }
        }
        finally
        {
            lock (_lock)
            {
                _closed |= _closedByClient;
                ReturnBuffers();
            }
        }
    }

    private void ReturnBuffers()
    {
        // Under the lock, once the send loop is over: no writer appends to a connection that is closed or retired.
        _retired = true;
        foreach (var buffer in (byte[][])[_output, _sending])
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        _output = [];
        _sending = [];
        _outputLength = 0;
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferBytes);
        int start = 0, end = 0;
        var how = ConnectionEnd.Broken;
        string reason;
        Exception? error = null;
        try
        {
            while (true)
            {
                if (end == buffer.Length)
                {
                    MakeRoom(ref buffer, ref start, ref end, buffer.Length + 1);
                }

                var received = await _socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    if (start == end)
                    {
                        how = ConnectionEnd.Graceful;
                        reason = "was closed by the server at a frame boundary";
                    }
                    else
                    {
                        reason = $"was closed by the server in the middle of an answer ({end - start} byte(s) of it received)";
                    }

                    break;
                }

                end += received;
                string? protocolError = null;
                while (end - start >= _header.Length)
                {
                    protocolError = _header.TryRead(buffer.AsSpan(start, end - start), out var payloadLength);
                    if (protocolError is not null)
                    {
                        break;
                    }

                    var frameLength = _header.Length + payloadLength;
                    if (end - start < frameLength)
                    {
                        if (buffer.Length - start < frameLength)
                        {
                            MakeRoom(ref buffer, ref start, ref end, frameLength);
                        }

                        break;
                    }

                    if (!OnAnswer(buffer.AsSpan(start + _header.Length, payloadLength)))
                    {
                        protocolError = "an answer arrived with no request waiting for it";
                        break;
                    }

                    start += frameLength;
                }

                if (protocolError is not null)
                {
                    reason = "broke the protocol: " + protocolError;
                    break;
                }

                if (start == end)
                {
                    start = end = 0;
                }
            }
        }
        catch (SocketException exception)
        {
            error = exception;
            reason = exception.SocketErrorCode == SocketError.ConnectionReset ? "was reset by the server" : "failed: " + exception.Message;
        }
        catch (ObjectDisposedException exception)
        {
            error = exception;
            reason = "was closed by the client";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        End(_closedByClient ? ConnectionEnd.ClosedByClient : how, reason, error);
    }

    /// <summary>Keeps the unread bytes and makes room for a frame of <paramref name="frameLength"/> bytes.</summary>
    private static void MakeRoom(ref byte[] buffer, ref int start, ref int end, int frameLength)
    {
        var unread = end - start;
        if (frameLength <= buffer.Length)
        {
            buffer.AsSpan(start, unread).CopyTo(buffer);
        }
        else
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(frameLength, buffer.Length * 2));
            buffer.AsSpan(start, unread).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = bigger;
        }

        start = 0;
        end = unread;
    }

    private bool OnAnswer(ReadOnlySpan<byte> payload)
    {
        PendingRequest? request;
        bool caughtUp;
        lock (_lock)
        {
            if (!_inFlight.TryDequeue(out request))
            {
                return false;
            }

            _pending--;
            caughtUp = _retired && _pending == 0;
        }

        if (!request.IsCompleted)
        {
            request.TrySetResult(payload.ToArray());
        }

        request.ReleaseTransport();
        if (caughtUp)
        {
            Close();
        }

        return true;
    }

    private void End(ConnectionEnd how, string reason, Exception? error)
    {
        List<PendingRequest> orphans;
        bool wake;
        lock (_lock)
        {
            _closed = true;
            orphans = [.. _inFlight];
            _inFlight.Clear();
            _pending = 0;
            wake = _sendWaiting;
            _sendWaiting = false;
        }

        if (wake)
        {
            _sendSignal.Set();
        }

        _socket.Dispose();
        _owner.OnConnectionEnded(this, how, reason, error, orphans);
    }
}
