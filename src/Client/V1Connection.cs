using System.Net.Sockets;
using PluggableNet.Protocol;

namespace PluggableNet.Client;

/// <summary>
/// One persistent protocol-v1 connection: requests are appended in order to a send pipe that the send loop writes out (all
/// requests queued meanwhile go out together), and the receive loop matches each answer to the oldest request
/// waiting, since the host answers in order. A request that timed out or was cancelled stays in the queue until its
/// answer arrives and is dropped, so the order never slips. It knows nothing of the client: what happens to the
/// requests it leaves is reported in <see cref="ClientConnection.Ended"/>, and the client decides.
/// </summary>
internal sealed partial class V1Connection : ClientConnection
{
    private readonly LengthHeader _header;
    private readonly int _maxAnswerBytes;
    private readonly Queue<PendingRequest> _inFlight = new();
    private long _queuedBytes;
    private long _retiredAt;

    public V1Connection(Socket socket, Stream? tls, EndpointState endpoint, LengthHeader header, int maxAnswerBytes)
        : base(socket, tls, endpoint)
    {
        _header = header;
        _maxAnswerBytes = maxAnswerBytes;
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

            var writer = SendWriter;
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
}
