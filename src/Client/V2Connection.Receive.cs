using System.Buffers;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Client;

/// <summary>The receive side: frames cut off the front of what arrived (<see cref="V2FrameReader"/>) and acted on by type.</summary>
internal sealed partial class V2Connection
{
    private V2FrameReader _frames;

    /// <inheritdoc/>
    protected override (ConnectionEnd How, string Reason) ClosedByServer(long unreadBytes) => (ConnectionEnd.Broken, unreadBytes == 0
        ? "was closed by the server without GOAWAY (a v2 host says GOAWAY when it closes on purpose)"
        : $"was closed by the server in the middle of a frame ({unreadBytes} byte(s) of it received)");

    /// <summary>Acts on every whole frame at the front of <paramref name="buffer"/>; returns a protocol error, if any.</summary>
    protected override string? OnReceived(ref ReadOnlySequence<byte> buffer)
    {
        // Anything from the server shows the connection alive: no PING needed yet.
        Volatile.Write(ref _lastReceivedAt, Environment.TickCount64);
        while (true)
        {
            var status = _frames.TryRead(ref buffer, _maxAnswerBytes, out var header, out var payload, out var error);
            if (status != V2FrameStatus.Frame)
            {
                return error;
            }

            error = header.Type switch
            {
                FrameType.Answer => OnAnswer(header.Id, payload),
                FrameType.Error => OnError(header.Id, payload),
                FrameType.Ping => OnPing(payload),
                FrameType.Pong => OnPong(payload),
                FrameType.GoAway => OnGoAway(payload),

                // A second SETTINGS changes nothing the client relies on: the first one's limits stay.
                _ => null,
            };
            if (error is not null)
            {
                return error;
            }
        }
    }

    private string? OnAnswer(uint id, in ReadOnlySequence<byte> payload)
    {
        if (!TryTake(id, out var request, out var error))
        {
            return error;
        }

        request?.TryAnswer(payload);
        request?.ReleaseTransport();
        return null;
    }

    private string? OnError(uint id, in ReadOnlySequence<byte> payload)
    {
        if (!ErrorPayload.TryRead(payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray(), out var failure))
        {
            return $"an ERROR frame for request {id} is shorter than its code";
        }

        failure = failure with { Code = RequestErrors.Normalize((ushort)failure.Code) };
        if (!TryTake(id, out var request, out var error))
        {
            return error;
        }

        if (request is null)
        {
            return null;
        }

        if (RequestErrors.IsResendable(failure.Code))
        {
            if (failure.Code == ErrorCode.ShuttingDown)
            {
                // The server drains: nothing new goes on this connection; its GOAWAY follows.
                Retire();
            }

            _onRefused(this, request, failure);
            return null;
        }

        var processed = RequestErrors.MayHaveBeenProcessed(failure.Code)
            ? "the request may have been processed"
            : "the request was not processed";
        request.TrySetException(new PluggableNetRequestException(failure.Code, $"{Endpoint.Name} failed the request with {failure.Code}: {failure.Text} ({processed}).", Endpoint.EndPoint));
        request.ReleaseTransport();
        return null;
    }

    /// <summary>
    /// Takes the request in flight with <paramref name="id"/> out of the table, freeing its place; null (and no error)
    /// for an id sent earlier and no longer waited for (cancelled, timed out): its late answer is dropped.
    /// </summary>
    private bool TryTake(uint id, out PendingRequest? request, out string? error)
    {
        error = null;
        bool caughtUp;
        lock (_lock)
        {
            if (!_inFlight.Remove(id, out request))
            {
                if (id == 0 || id > _lastId)
                {
                    error = $"an answer or error arrived for request {id}, which was never sent";
                    return false;
                }

                return true;
            }

            _pending--;
            PromoteWaitingLocked();
            caughtUp = _goAway is not null && _inFlight.Count == 0;
        }

        if (caughtUp)
        {
            // Everything the server promised with its GOAWAY has come: nothing more will.
            Close();
        }

        return true;
    }

    private string? OnPing(in ReadOnlySequence<byte> payload)
    {
        // Answered at once; it goes out behind the frames already queued, which the send loop is writing anyway.
        Span<byte> copy = stackalloc byte[(int)Math.Min(payload.Length, V2FrameReader.MaxControlBytes)];
        payload.CopyTo(copy);
        lock (_lock)
        {
            if (!_closed)
            {
                WriteControlLocked(FrameType.Pong, 0, copy);
            }
        }

        return null;
    }

    private string? OnPong(in ReadOnlySequence<byte> payload)
    {
        if (payload.Length != sizeof(ulong))
        {
            // Not the answer to one of ours: the server may ping with any payload, but only we answer its pings.
            return null;
        }

        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        payload.CopyTo(bytes);
        lock (_lock)
        {
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes) == _pings)
            {
                _pingSentAt = 0;
            }
        }

        return null;
    }

    /// <summary>
    /// No request above the GOAWAY's last id was processed: they (and those still waiting for a place) are handed
    /// back for the client to resend elsewhere, and the connection takes nothing new. Those at or below it keep waiting.
    /// </summary>
    private string? OnGoAway(in ReadOnlySequence<byte> payload)
    {
        if (!GoAwayPayload.TryRead(payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray(), out var goAway))
        {
            return "a GOAWAY frame is shorter than its last id and code";
        }

        List<PendingRequest> refused = [];
        bool caughtUp;
        lock (_lock)
        {
            _goAway = goAway with { Code = RequestErrors.Normalize((ushort)goAway.Code) };
            _retired = true;
            foreach (var (id, request) in _inFlight)
            {
                if (id > goAway.LastId)
                {
                    refused.Add(request);
                }
            }

            foreach (var request in refused)
            {
                _inFlight.Remove(request.WireId);
            }

            refused.Sort(static (a, b) => a.WireId.CompareTo(b.WireId));
            refused.AddRange(_waiting);
            _waiting.Clear();
            _pending -= refused.Count;
            caughtUp = _inFlight.Count == 0;
        }

        Endpoint.Remove(this);
        foreach (var request in refused)
        {
            _onRefused(this, request, null);
        }

        if (caughtUp)
        {
            Close();
        }

        return null;
    }

    private void Retire()
    {
        lock (_lock)
        {
            _retired = true;
        }

        Endpoint.Remove(this);
    }

    /// <inheritdoc/>
    protected override List<PendingRequest> TakeLeftLocked()
    {
        List<PendingRequest> left = [.. _inFlight.Values];
        left.Sort(static (a, b) => a.WireId.CompareTo(b.WireId));
        left.AddRange(_waiting);
        _inFlight.Clear();
        _waiting.Clear();
        return left;
    }

    /// <summary>After a GOAWAY, that is how it ended, whatever closed the socket.</summary>
    protected override ConnectionEnded Report(ConnectionEnd how, string reason, Exception? error, List<PendingRequest> left, long sentBytes)
    {
        // Read off the lock: only the receive loop, which has ended, sets it.
        if (_goAway is { } said)
        {
            return new ConnectionEnded(ConnectionEnd.GoneAway, $"went away (GOAWAY {said.Code}: \"{said.Text}\", last request processed {said.LastId})", error, left, sentBytes);
        }

        return base.Report(how, reason, error, left, sentBytes);
    }
}
