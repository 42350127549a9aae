using System.Buffers.Binary;
using PluggableNet.Protocol.V2;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Plugins;

namespace PluggableNet.Server.Connections;

/// <summary>
/// v2 off the receive path: offloaded calls completing out of order, CANCEL, PING/PONG heartbeats, per-request
/// process timeouts, and GOAWAY on every graceful close. The transport gives the connection a turn
/// (<see cref="OnWake"/>) when an offloaded call completes (<see cref="Waker"/>) or when the published deadline says a
/// timer is due (<see cref="CloseReason.TimerDue"/>).
/// </summary>
internal sealed partial class FrameConnection
{
    private bool _goingAway;
    private ErrorCode _goAwayCode;
    private string _goAwayText = string.Empty;
    private CloseReason _goAwayClose;

    // When bytes last arrived (silence before a PING) and when our PING went out, 0 while none is unanswered.
    private long _lastReceivedAt;
    private long _pingSentAt;
    private Action? _wake;

    /// <summary>
    /// The transport's turn for this connection, on its own thread: completes what offloaded calls finished (v1: the one
    /// running), acts on due timers (v2), then carries on with buffered frames.
    /// </summary>
    public void OnWake(PluginGeneration generation, long now)
    {
        var parked = _parked;
        _parked = false;
        if (_protocol != WireProtocol.V2)
        {
            if (_isolated is { Count: > 0 })
            {
                // Answers of batched calls came back: out in order, then the frames that waited for them.
                CompleteIsolatedV1(now);
                if (CloseReason == CloseReason.None && _offload is null)
                {
                    Pump(generation, now);
                }
                else
                {
                    OnStateChanged();
                }

                return;
            }

            // v1 runs one call at a time, and is woken once it ended; a session is woken for pushes or by the swap's gate.
            if (_offload is { Task.IsCompleted: true })
            {
                CompleteOffload(generation, now);
            }
            else if (parked && CloseReason == CloseReason.None && _offload is null)
            {
                Pump(generation, now);
            }
            else if (_session is not null)
            {
                ServeSession();
                OnStateChanged();
            }

            return;
        }

        if (CloseReason != CloseReason.None)
        {
            ServeSession();
            OnStateChanged();
            return;
        }

        ServeSession();

        CompleteInFlight(now);
        CompleteIsolatedV2(now);
        ActOnTimers(now);
        if (CloseReason == CloseReason.None)
        {
            PumpV2(generation, now);
        }
        else
        {
            OnStateChanged();
        }
    }

    /// <summary>An offloaded call completed (any thread): asks the transport that drives the connection now for a turn.</summary>
    private void WakeFromAnyThread() => _waker?.Wake();

    /// <summary>Stops taking requests; once nothing is in flight, GOAWAY(lastId) goes out and the connection closes (<see cref="EndPassV2"/>).</summary>
    private void BeginGoAway(ErrorCode code, string text, CloseReason close)
    {
        if (_goingAway)
        {
            return;
        }

        _goingAway = true;
        _goAwayCode = code;
        _goAwayText = text;
        _goAwayClose = close;
    }

    private bool TryStartOffloadV2(PluginGeneration generation, uint id, ReadOnlySpan<byte> payload)
    {
        var request = OffloadedRequest.TryStart(_context.OffloadGate, generation, payload, V2Output.MaxAnswerBytes, _passView);
        if (request is null)
        {
            StartSlotWait();
            return false;
        }

        if (_waitingForOffloadSlot)
        {
            EndSlotWait();
        }

        // Each call's own start (OffloadedRequest.StartedAtMs) times its Limits:ProcessTimeout, not the connection's.
        (_inFlight ??= new InFlightRequests()).Add(id, request);
        _wake ??= WakeFromAnyThread;
        request.Task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_wake);
        return true;
    }

    /// <summary>Answers every offloaded call that ended, and fails those past <c>Limits:ProcessTimeout</c>.</summary>
    private void CompleteInFlight(long now)
    {
        if (_inFlight is not { Count: > 0 } inFlight)
        {
            return;
        }

        var histogram = _context.Meter.RequestDuration;
        for (var i = inFlight.Count - 1; i >= 0; i--)
        {
            var (id, request) = inFlight[i];
            if (request.Task.IsCompleted)
            {
                inFlight.RemoveAt(i);
                if (histogram.Enabled)
                {
                    histogram.Record(System.Diagnostics.Stopwatch.GetElapsedTime(request.StartedAt).TotalSeconds, request.Generation.Counters.OffloadedTags);
                }

                WriteOffloadedOutcome(id, request);
                request.Generation.Counters.RequestCounter.Add(1);
                request.Release();
            }
            else if (_limits.ProcessTimeoutMs > 0 && now - request.StartedAtMs >= _limits.ProcessTimeoutMs)
            {
                inFlight.RemoveAt(i);
                _context.Metrics.Timeout(TimeoutKind.Process);
                if (_context.Throttled.ShouldLog(ThrottledEvent.ProcessTimeout, now))
                {
                    ConnectionLog.V2RequestRefused(_context.Logger, Id, Peer, id, $"ran {now - request.StartedAtMs} ms, past Limits:ProcessTimeout", nameof(ErrorCode.ProcessTimeout));
                }

                V2Output.Error(_output, id, ErrorCode.ProcessTimeout, $"the request ran past the server's {_limits.ProcessTimeoutMs} ms limit");
                request.Abandon();
            }
            else
            {
                continue;
            }

            Requests++;
            _unreportedRequests++;
            _deadlines.RequestAnswered(now);
        }
    }

    private void WriteOffloadedOutcome(uint id, OffloadedRequest request)
    {
        var task = request.Task;
        if (task.IsCompletedSuccessfully && request.Answer.Overflowed)
        {
            RejectOversizedAnswerV2(request.Generation, id, request.Answer.Length);
        }
        else if (task.IsCompletedSuccessfully)
        {
            V2Output.Frame(_output, FrameType.Answer, id, request.Answer.Written);
        }
        else
        {
            OnPluginFaultV2(request.Generation, id, task.Exception?.GetBaseException() ?? new TaskCanceledException(task));
        }
    }

    /// <summary>CANCEL: the call's token is signalled and its answer, if it still comes, dropped. False for an id not in flight.</summary>
    private bool Cancel(uint id)
    {
        if (_isolated is { } isolated && isolated.Cancel(id))
        {
            return true;
        }

        if (_inFlight is not { } inFlight || inFlight.IndexOf(id) is var index && index < 0)
        {
            return false;
        }

        var request = inFlight[index].Request;
        inFlight.RemoveAt(index);
        request.Abandon();
        return true;
    }

    /// <summary>A PONG: true when it answers the PING we sent (an unsolicited one is only counted against the flood budget).</summary>
    private bool AnswersOurPing()
    {
        var ours = _pingSentAt != 0;
        _pingSentAt = 0;
        return ours;
    }

    /// <summary>A drain, an idle timeout, a PING to send or one unanswered too long.</summary>
    private void ActOnTimers(long now)
    {
        if (_context.Draining)
        {
            BeginGoAway(ErrorCode.NoError, "the server is shutting down", CloseReason.Shutdown);
        }

        if (!_goingAway && _limits.IdleTimeoutMs > 0 && InFlightCount == 0 && _input.IsEmpty && _output.Length == 0
            && now - _deadlines.LastRequestAt >= _limits.IdleTimeoutMs)
        {
            _context.CountTimeout(CloseReason.IdleTimeout, Id, Peer, now - _deadlines.LastRequestAt, now);
            BeginGoAway(ErrorCode.NoError, "idle timeout", CloseReason.IdleTimeout);
        }

        if (_pingSentAt != 0)
        {
            if (_limits.PingTimeoutMs > 0 && now - _pingSentAt >= _limits.PingTimeoutMs)
            {
                CloseAsHalfOpen(now);
            }
        }
        else if (_limits.PingIntervalMs > 0 && !_goingAway && now - _lastReceivedAt >= _limits.PingIntervalMs)
        {
            Span<byte> payload = stackalloc byte[sizeof(long)];
            BinaryPrimitives.WriteInt64BigEndian(payload, now);
            V2Output.Frame(_output, FrameType.Ping, 0, payload);
            _pingSentAt = now;
        }
    }

    /// <summary>No PONG in time: the peer is gone (a pulled cable, a dead NAT entry). GOAWAY for the record, then close.</summary>
    private void CloseAsHalfOpen(long now)
    {
        _context.CountTimeout(CloseReason.PingTimeout, Id, Peer, now - _pingSentAt, now);
        _input.Clear();
        _inputEnded = true;
        _inFlight?.AbandonAll();
        _isolated?.AbandonAll();
        V2Output.GoAway(_output, _lastAcceptedId, ErrorCode.PingTimeout, "no PONG within Limits:PingTimeout");
        RequestGracefulClose(CloseReason.PingTimeout);
    }

    /// <summary>
    /// The deadline word of a v2 connection: the hard limits as in v1 (a peer not reading, a frame half received), and
    /// the timers <see cref="OnWake"/> handles (idle, PING, per-request process timeout), whichever comes first.
    /// </summary>
    private long CurrentDueV2(out long since)
    {
        var wait = _output.Length > 0 ? ConnectionWait.PeerToRead
            : _expectedFrame > 0 ? ConnectionWait.RestOfPayload
            : _discardRemaining > 0 || !_input.IsEmpty ? ConnectionWait.RestOfHeader
            : ConnectionWait.NextRequest;
        var next = wait == ConnectionWait.NextRequest ? Deadline.Never : _deadlines.Next(wait, _limits, _input.Length);

        var timer = long.MaxValue;
        var timerSince = 0L;
        if (!_goingAway)
        {
            if (wait == ConnectionWait.NextRequest && InFlightCount == 0 && _limits.IdleTimeoutMs > 0)
            {
                (timer, timerSince) = (_deadlines.LastRequestAt + _limits.IdleTimeoutMs, _deadlines.LastRequestAt);
            }

            var ping = _pingSentAt != 0
                ? (_limits.PingTimeoutMs > 0 ? _pingSentAt + _limits.PingTimeoutMs : long.MaxValue)
                : (_limits.PingIntervalMs > 0 ? _lastReceivedAt + _limits.PingIntervalMs : long.MaxValue);
            if (ping < timer)
            {
                (timer, timerSince) = (ping, _pingSentAt != 0 ? _pingSentAt : _lastReceivedAt);
            }
        }

        if (InFlightCount > 0 && _limits.ProcessTimeoutMs > 0 && OldestInFlightStart() is var oldest && oldest + _limits.ProcessTimeoutMs < timer)
        {
            (timer, timerSince) = (oldest + _limits.ProcessTimeoutMs, oldest);
        }

        if (timer < next.At)
        {
            next = new Deadline(CloseReason.TimerDue, timer, timerSince);
        }

        // Not yet going away: a drain must wake it (DueClose). Going away: it only waits for what is in flight.
        var published = _goingAway ? (wait == ConnectionWait.NextRequest ? ConnectionWait.Plugin : wait) : ConnectionWait.Multiplexed;
        since = next.Since;
        return (Math.Min(next.At, NeverDue) << DueShift) | ((long)published << WaitShift) | (long)next.Reason;
    }
}
