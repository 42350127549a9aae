using System.Buffers;
using System.Net.Sockets;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Client;

/// <summary>The receive side: bytes into a pipe, frames cut off its front (<see cref="V2FrameReader"/>) and acted on by type.</summary>
internal sealed partial class V2Connection
{
    private V2FrameReader _frames;

    private async Task<ConnectionEnded> ReceiveLoopAsync()
    {
        var writer = _receive.Writer;
        var reader = _receive.Reader;
        long unread = 0;
        var how = ConnectionEnd.Broken;
        string reason;
        Exception? error = null;
        try
        {
            while (true)
            {
                if (unread == 0)
                {
                    // Wait for data before taking a buffer, so an idle connection holds none.
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                }

                var received = await _socket.ReceiveAsync(writer.GetMemory(), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    // Our own shutdown (a dead connection, Abort) also ends the receive with 0: its reason wins.
                    reason = _abortReason ?? (unread == 0
                        ? "was closed by the server without GOAWAY (a v2 host says GOAWAY when it closes on purpose)"
                        : $"was closed by the server in the middle of a frame ({unread} byte(s) of it received)");
                    break;
                }

                Volatile.Write(ref _lastReceivedAt, Environment.TickCount64);
                writer.Advance(received);

                // Never waits (no pause threshold) and the reader is this loop: the bytes are readable at once.
                await writer.FlushAsync().ConfigureAwait(false);
                reader.TryRead(out var result);
                var buffer = result.Buffer;
                var protocolError = OnFrames(ref buffer);
                unread = buffer.Length;
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (protocolError is not null)
                {
                    reason = "broke the protocol: " + protocolError;
                    break;
                }
            }
        }
        catch (SocketException exception)
        {
            error = exception;
            reason = _abortReason ?? (exception.SocketErrorCode == SocketError.ConnectionReset ? "was reset by the server" : "failed: " + exception.Message);
        }
        catch (ObjectDisposedException exception)
        {
            error = exception;
            reason = _abortReason ?? "was closed by the client";
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
            await reader.CompleteAsync().ConfigureAwait(false);
        }

        return End(how, reason, error);
    }

    /// <summary>Acts on every whole frame at the front of <paramref name="buffer"/>; returns a protocol error, if any.</summary>
    private string? OnFrames(ref ReadOnlySequence<byte> buffer)
    {
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

    private ConnectionEnded End(ConnectionEnd how, string reason, Exception? error)
    {
        List<PendingRequest> orphans;
        GoAwayPayload? goAway;
        lock (_lock)
        {
            _closed = true;
            orphans = [.. _inFlight.Values];
            orphans.Sort(static (a, b) => a.WireId.CompareTo(b.WireId));
            orphans.AddRange(_waiting);
            _inFlight.Clear();
            _waiting.Clear();
            _pending = 0;
            goAway = _goAway;

            // Ends the send loop if it waits for frames.
            _send.Writer.Complete();
        }

        _socket.Dispose();
        if (goAway is { } said)
        {
            return new ConnectionEnded(ConnectionEnd.GoneAway, $"went away (GOAWAY {said.Code}: \"{said.Text}\", last request processed {said.LastId})", error, orphans, Volatile.Read(ref _sentBytes));
        }

        return new ConnectionEnded(_closedByClient ? ConnectionEnd.ClosedByClient : how, reason, error, orphans, Volatile.Read(ref _sentBytes));
    }
}
