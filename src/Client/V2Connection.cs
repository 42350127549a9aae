using System.Buffers.Binary;
using System.Net.Sockets;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Client;

/// <summary>
/// One persistent protocol-v2 connection, opened by <see cref="V2Handshake"/>. Each request gets the next id (from 1,
/// strictly increasing) and waits in a table by id, so answers and errors may come in any order. At most the server's
/// <c>MaxConcurrentRequests</c> are in flight; more wait here, unsent, for a free place. A request that times out or is
/// cancelled is failed at once and a CANCEL is sent for it; its answer, if it still comes, is dropped. What the server
/// hands back unprocessed (GOAWAY above its last id, ERROR SHUTTING_DOWN or OVERLOADED) goes to <c>onRefused</c> for
/// the client to resend; everything else it leaves is reported in <see cref="ClientConnection.Ended"/>.
/// </summary>
internal sealed partial class V2Connection : ClientConnection
{
    private readonly Settings _settings;
    private readonly int _maxConcurrent;
    private readonly int _maxAnswerBytes;
    private readonly long _pingIntervalMs;
    private readonly long _pingTimeoutMs;
    private readonly Action<V2Connection, PendingRequest, ErrorPayload?> _onRefused;
    private readonly Dictionary<uint, PendingRequest> _inFlight = [];
    private readonly Queue<PendingRequest> _waiting = new();
    private uint _lastId;
    private long _queuedBytes;
    private GoAwayPayload? _goAway;
    private long _lastReceivedAt;
    private long _pingSentAt;
    private ulong _pings;

    public V2Connection(Socket socket, Stream? tls, EndpointState endpoint, Settings settings, PluggableNetClientOptions options, Action<V2Connection, PendingRequest, ErrorPayload?> onRefused)
        : base(socket, tls, endpoint)
    {
        _settings = settings;

        // A server announcing 0 would take nothing; one at a time is the closest it can mean.
        _maxConcurrent = (int)Math.Clamp(settings.MaxConcurrentRequests, 1u, int.MaxValue);
        _maxAnswerBytes = options.MaxAnswerBytes;
        _pingIntervalMs = options.PingInterval == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)options.PingInterval.TotalMilliseconds;
        _pingTimeoutMs = (long)options.PingTimeout.TotalMilliseconds;
        _onRefused = onRefused;
        _lastReceivedAt = Environment.TickCount64;
    }

    /// <summary>What the server announced when the connection opened.</summary>
    public Settings Settings => _settings;

    /// <summary>
    /// Sends <paramref name="request"/> with the next id, or queues it unsent while <c>MaxConcurrentRequests</c> are in
    /// flight. A request larger than the server's <c>MaxFrameBytes</c> fails here, unsent. False if the connection takes
    /// no new requests.
    /// </summary>
    public override bool TryEnqueue(PendingRequest request)
    {
        var tooLarge = false;
        lock (_lock)
        {
            if (_closed || _retired)
            {
                return false;
            }

            // Before the completion check: a cancel from now on reaches Abandon (PendingRequest.SetOwner).
            request.SetOwner(this);
            request.LastEndpoint = Endpoint.EndPoint;
            request.WireId = 0;
            if (request.IsCompleted)
            {
                // Cancelled or timed out on its way here: nothing to send.
            }
            else if ((uint)request.FrameLength > _settings.MaxFrameBytes)
            {
                tooLarge = true;
            }
            else if (_inFlight.Count >= _maxConcurrent)
            {
                request.EndOffset = long.MaxValue;
                _waiting.Enqueue(request);
                _pending++;
                return true;
            }
            else
            {
                SendLocked(request);
                _pending++;
                return true;
            }
        }

        if (tooLarge)
        {
            request.TrySetException(new PluggableNetRequestException(
                ErrorCode.FrameTooLarge,
                $"The request has {request.FrameLength} bytes; {Endpoint.Name} accepts at most {_settings.MaxFrameBytes} (its MaxFrameBytes). It was not sent.",
                Endpoint.EndPoint));
        }

        request.ReleaseTransport();
        return true;
    }

    /// <summary>
    /// The caller cancelled <paramref name="request"/> (already failed): if it is in flight here, its place is freed and
    /// CANCEL sent, so the server stops its work and drops the answer. One still waiting for a place is skipped when its
    /// turn comes.
    /// </summary>
    public void Abandon(PendingRequest request)
    {
        lock (_lock)
        {
            if (_closed || request.WireId == 0 || !_inFlight.TryGetValue(request.WireId, out var found) || !ReferenceEquals(found, request))
            {
                return;
            }

            CancelLocked(request);
            PromoteWaitingLocked();
        }

        request.ReleaseTransport();
    }

    /// <summary>
    /// Fails requests whose deadline has passed (sending CANCEL for those in flight), and keeps the connection honest:
    /// a PING once nothing came from the server for <c>PingInterval</c>, and the connection closed as dead when its
    /// PONG does not come within <c>PingTimeout</c>.
    /// </summary>
    public override ScanOutcome Scan(long now)
    {
        var timedOut = 0;
        List<PendingRequest>? expired = null;
        string? dead = null;
        lock (_lock)
        {
            if (_closed)
            {
                return default;
            }

            foreach (var request in _inFlight.Values)
            {
                if (now >= request.Deadline
                    && request.TrySetException(new TimeoutException($"No answer from {Endpoint.Name} within {request.Timeout}; the request may have been processed. It was cancelled (CANCEL sent); its answer, if it comes, is dropped.")))
                {
                    timedOut++;
                    (expired ??= []).Add(request);
                }
            }

            foreach (var request in _waiting)
            {
                if (now >= request.Deadline
                    && request.TrySetException(new TimeoutException($"No place on the connection to {Endpoint.Name} within {request.Timeout} (it had {_maxConcurrent} requests in flight, its MaxConcurrentRequests); the request was not sent.")))
                {
                    timedOut++;
                }
            }

            if (expired is not null)
            {
                foreach (var request in expired)
                {
                    CancelLocked(request);
                }

                PromoteWaitingLocked();
            }

            if (_pingIntervalMs != long.MaxValue)
            {
                if (_pingSentAt != 0)
                {
                    if (now - _pingSentAt >= _pingTimeoutMs)
                    {
                        dead = $"sent no PONG within {TimeSpan.FromMilliseconds(_pingTimeoutMs)} of a PING (the connection is dead or the server stuck)";
                    }
                }
                else if (now - Volatile.Read(ref _lastReceivedAt) >= _pingIntervalMs)
                {
                    _pingSentAt = now;
                    Span<byte> payload = stackalloc byte[sizeof(ulong)];
                    BinaryPrimitives.WriteUInt64BigEndian(payload, ++_pings);
                    WriteControlLocked(FrameType.Ping, 0, payload);
                }
            }
        }

        if (expired is not null)
        {
            foreach (var request in expired)
            {
                request.ReleaseTransport();
            }
        }

        if (dead is not null)
        {
            Abort(dead);
        }

        return new ScanOutcome(timedOut, Stalled: false);
    }

    /// <summary>Writes the REQUEST frame with the next id and records it in flight. Under the lock.</summary>
    private void SendLocked(PendingRequest request)
    {
        var id = ++_lastId;
        request.WireId = id;
        var length = request.FrameLength;
        var writer = SendWriter;
        var span = writer.GetSpan(FrameHeader.Size + length);
        new FrameHeader((uint)length, FrameType.Request, 0, id).Write(span);
        request.Frame.CopyTo(span[FrameHeader.Size..]);
        writer.Advance(FrameHeader.Size + length);
        _queuedBytes += FrameHeader.Size + length;
        request.EndOffset = _queuedBytes;
        _inFlight.Add(id, request);
        if (id == uint.MaxValue)
        {
            // Ids are never reused on a connection: the next request opens another.
            _retired = true;
        }

        Flush();
    }

    /// <summary>Frees the place of a request in flight that is no longer wanted and tells the server. Under the lock.</summary>
    private void CancelLocked(PendingRequest request)
    {
        _inFlight.Remove(request.WireId);
        _pending--;
        WriteControlLocked(FrameType.Cancel, request.WireId, []);
    }

    /// <summary>Sends waiting requests while there is a place; those that completed meanwhile are let go. Under the lock.</summary>
    private void PromoteWaitingLocked()
    {
        while (_inFlight.Count < _maxConcurrent && !_retired && _waiting.TryDequeue(out var request))
        {
            if (request.IsCompleted)
            {
                _pending--;
                request.ReleaseTransport();
                continue;
            }

            SendLocked(request);
        }
    }

    private void WriteControlLocked(FrameType type, uint id, ReadOnlySpan<byte> payload)
    {
        var writer = SendWriter;
        var span = writer.GetSpan(FrameHeader.Size + payload.Length);
        new FrameHeader((uint)payload.Length, type, 0, id).Write(span);
        payload.CopyTo(span[FrameHeader.Size..]);
        writer.Advance(FrameHeader.Size + payload.Length);
        _queuedBytes += FrameHeader.Size + payload.Length;
        Flush();
    }

    private void Flush()
    {
        if (_closed)
        {
            return;
        }

        // Never waits (no pause threshold); it only wakes the send loop.
        var flush = SendWriter.FlushAsync();
        flush.GetAwaiter().GetResult();
    }
}
