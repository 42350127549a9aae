using Microsoft.Extensions.Logging;
using PluggableNet.Protocol.V2;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Plugins.Isolation;

namespace PluggableNet.Server.Connections;

/// <summary>
/// Protocol v2's pass (docs/protocol.md, "Version 2"): typed frames, each request with its id. Inline answers go out
/// in order as in v1; offloaded ones as they complete (<c>FrameConnection.V2Wake.cs</c>). A plugin fault, a timeout,
/// an answer too large, an overload or a request too large is an ERROR frame for its id, and the connection stays open.
/// </summary>
internal sealed partial class FrameConnection
{
    /// <summary>CANCEL, PING and PONG carry a few bytes: more than this is a protocol error, never buffered.</summary>
    private const int MaxControlPayload = 16 * 1024;

    /// <summary>A PING's payload, at most (docs/protocol.md).</summary>
    private const int MaxPingPayload = 64;

    // The highest REQUEST id seen (ids must rise), and the highest one taken before going away: GOAWAY's lastId.
    private uint _lastRequestId;
    private uint _lastAcceptedId;

    // Payload bytes of a skipped frame (unknown type, request too large) still to drop as they arrive.
    private long _discardRemaining;
    private InFlightRequests? _inFlight;
    private ControlFrameBudget _controlBudget;

    private volatile IConnectionWaker? _waker;

    /// <summary>
    /// How the transport is asked for a turn when an offloaded call completes or a timer is due. Replaced when the epoll
    /// transport moves the connection to another reactor, so completions always read the current one.
    /// </summary>
    public IConnectionWaker? Waker
    {
        get => _waker;
        set => _waker = value;
    }

    public WireProtocol Protocol => _protocol;

    private int InFlightCount => (_inFlight?.Count ?? 0) + IsolatedCount;

    /// <summary>Takes every complete frame buffered, as far as limits allow, then settles the connection (<see cref="EndPassV2"/>).</summary>
    private void PumpV2(PluginGeneration generation, long now)
    {
        if (_output.Length == 0)
        {
            _deadlines.WriteProgressed(now);
        }

        if (_context.Draining && !_goingAway)
        {
            BeginGoAway(ErrorCode.NoError, "the server is shutting down", CloseReason.Shutdown);
        }

        WritePushesQueuedEarlier();
        var inline = 0;
        var timing = _context.Meter.RequestDuration.Enabled;
        while (CloseReason == CloseReason.None && _output.Length <= _limits.MaxPendingWriteBytes
            && TakeV2Frame(generation, timing, now, ref inline))
        {
        }

        EndPassV2(generation, inline, now);
    }

    /// <summary>One frame, or part of a skipped one; false when nothing more can be taken now.</summary>
    private bool TakeV2Frame(PluginGeneration generation, bool timing, long now, ref int inline)
    {
        var buffered = _input.Data;
        if (_discardRemaining > 0)
        {
            return Discard(buffered);
        }

        if (!FrameHeader.TryRead(buffered, out var header))
        {
            return false;
        }

        switch (header.Type)
        {
            case FrameType.Request:
                return TakeRequest(generation, header, buffered, timing, now, ref inline);
            case FrameType.Cancel or FrameType.Ping or FrameType.Pong:
                return TakeControlFrame(header, buffered, now);
            case FrameType.Answer or FrameType.Error or FrameType.GoAway or FrameType.Push or FrameType.Settings:
                return Violation($"a frame of type {header.Type}, which only a server sends");
            default:
                // Unknown: skipped for extensibility, its payload dropped as it arrives, its rate bounded.
                if (!_controlBudget.TrySpend(now))
                {
                    return Flood();
                }

                _input.Consume(FrameHeader.Size);
                _discardRemaining = header.Length;
                return _discardRemaining == 0 || Discard(_input.Data);
        }
    }

    private bool Discard(ReadOnlySpan<byte> buffered)
    {
        var dropped = (int)Math.Min(_discardRemaining, buffered.Length);
        _input.Consume(dropped);
        _discardRemaining -= dropped;
        if (_discardRemaining > 0)
        {
            return false;
        }

        _deadlines.FrameSkipped();
        return true;
    }

    private bool TakeRequest(PluginGeneration generation, FrameHeader header, ReadOnlySpan<byte> buffered, bool timing, long now, ref int inline)
    {
        var id = header.Id;
        if (id <= _lastRequestId)
        {
            return Violation($"request id {id} is not above the previous one ({_lastRequestId})");
        }

        if (header.Length > (uint)_codec.MaxFrameBytes)
        {
            // Refused once its header is read; its payload is dropped as it arrives, never buffered.
            OnRequestTooLarge(id, header.Length);
            _input.Consume(FrameHeader.Size);
            _discardRemaining = header.Length;
            return Discard(_input.Data);
        }

        var frameLength = FrameHeader.Size + (int)header.Length;
        if (_input.Length < frameLength)
        {
            _expectedFrame = frameLength;
            return false;
        }

        var payload = buffered.Slice(FrameHeader.Size, (int)header.Length);
        if (!_goingAway && generation.SessionPlugin is not null && !EnterSession(generation))
        {
            return false;
        }

        if (_goingAway)
        {
            // Above GOAWAY's lastId: not processed, and said so at once so the client can resend it elsewhere.
            V2Output.Error(_output, id, ErrorCode.ShuttingDown, "the server is going away; not processed");
        }
        else if (InFlightCount >= _limits.MaxConcurrentRequests)
        {
            V2Output.Error(_output, id, ErrorCode.Overloaded, "too many requests in flight on this connection; not processed");
            _lastAcceptedId = id;
        }
        else if (generation.Execution == PluginExecution.Offloaded)
        {
            if (!TryStartIsolated(generation, id, payload, V2Output.MaxAnswerBytes, now) && !TryStartOffloadV2(generation, id, payload))
            {
                // Waiting for a slot: the frame stays buffered and is parsed again when one frees.
                return false;
            }

            _lastAcceptedId = id;
        }
        else
        {
            if (_waitingForOffloadSlot)
            {
                EndSlotWait();
            }

            var timed = timing && --_untilTimed <= 0;
            if (timed)
            {
                _untilTimed = HostMeter.InlineTimingInterval;
            }

            ProcessInlineV2(generation, id, payload, timed);
            _lastAcceptedId = id;
            inline++;
            Requests++;
            _unreportedRequests++;
        }

        _lastRequestId = id;
        TakeFrame(frameLength, now);
        return true;
    }

    private bool TakeControlFrame(FrameHeader header, ReadOnlySpan<byte> buffered, long now)
    {
        if (header.Length > MaxControlPayload)
        {
            return Violation($"a {header.Type} frame of {header.Length} bytes");
        }

        var frameLength = FrameHeader.Size + (int)header.Length;
        if (_input.Length < frameLength)
        {
            _expectedFrame = frameLength;
            return false;
        }

        var payload = buffered.Slice(FrameHeader.Size, (int)header.Length);
        if (header.Type != FrameType.Cancel && header.Id != 0)
        {
            return Violation($"a {header.Type} frame with id {header.Id} (must be 0)");
        }

        var costly = header.Type switch
        {
            FrameType.Cancel => !Cancel(header.Id),
            FrameType.Ping => true,
            _ => !AnswersOurPing(),
        };
        if (costly && !_controlBudget.TrySpend(now))
        {
            return Flood();
        }

        if (header.Type == FrameType.Ping)
        {
            if (payload.Length > MaxPingPayload)
            {
                return Violation($"a PING of {payload.Length} bytes (at most {MaxPingPayload})");
            }

            V2Output.Frame(_output, FrameType.Pong, 0, payload);
        }

        _expectedFrame = 0;
        _input.Consume(frameLength);
        _deadlines.FrameSkipped();
        return true;
    }

    private void ProcessInlineV2(PluginGeneration generation, uint id, ReadOnlySpan<byte> payload, bool timed)
    {
        var headerAt = V2Output.BeginFrame(_output);
        var histogram = _context.Meter.RequestDuration;
        var started = timed ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        try
        {
            if (_passPlugin is { } sessions)
            {
                sessions.Process(_passView!, payload, _output);
            }
            else
            {
                generation.Plugin.Process(payload, _output);
            }
        }
        catch (Exception exception)
        {
            _output.Truncate(headerAt);
            RecordInline(histogram, started, generation);
            OnPluginFaultV2(generation, id, exception);
            return;
        }

        RecordInline(histogram, started, generation);
        var length = V2Output.PayloadLength(_output, headerAt);
        if (length > V2Output.MaxAnswerBytes)
        {
            _output.Truncate(headerAt);
            RejectOversizedAnswerV2(generation, id, length);
            return;
        }

        V2Output.EndFrame(_output, headerAt, FrameType.Answer, id);
    }

    /// <summary>
    /// After a pass: as v1's <see cref="EndPass"/>, and once nothing is in flight, a connection going away sends
    /// GOAWAY and closes, and a half-closed one closes.
    /// </summary>
    private void EndPassV2(PluginGeneration generation, int inline, long now)
    {
        SettlePass(generation, inline, frameStarted: !_input.IsEmpty || _discardRemaining > 0, now);
        if (CloseReason == CloseReason.None && InFlightCount == 0 && !_waitingForOffloadSlot)
        {
            if (_goingAway)
            {
                V2Output.GoAway(_output, _lastAcceptedId, _goAwayCode, _goAwayText);
                RequestGracefulClose(_goAwayClose);
            }
            else if (_inputEnded && _output.Length <= _limits.MaxPendingWriteBytes)
            {
                RequestGracefulClose(CloseReason.RemoteClosed);
            }
        }

        OnStateChanged();
    }

    /// <summary>The peer broke the protocol: nothing more is read; what is in flight is answered, then GOAWAY and close.</summary>
    private bool Violation(string reason)
    {
        _context.Metrics.ProtocolError(ProtocolErrorKind.V2Violation);
        return StopForProtocolError(reason);
    }

    private bool Flood()
    {
        _context.Metrics.ProtocolError(ProtocolErrorKind.ControlFlood);
        return StopForProtocolError($"more than {ControlFrameBudget.PerSecond} PING, CANCEL or unknown frames in a second");
    }

    private bool StopForProtocolError(string reason)
    {
        if (_context.Throttled.ShouldLog(ThrottledEvent.V2ProtocolError, Environment.TickCount64))
        {
            ConnectionLog.V2ProtocolError(_context.Logger, Id, Peer, reason);
        }

        // Nothing after the bad frame is read: it cannot be parsed. Treated as the end of input from here on.
        _input.Clear();
        _inputEnded = true;
        _expectedFrame = 0;
        _discardRemaining = 0;
        BeginGoAway(ErrorCode.ProtocolError, reason, CloseReason.ProtocolError);
        return false;
    }

    private void OnRequestTooLarge(uint id, uint length)
    {
        _context.Metrics.ProtocolError(ProtocolErrorKind.TooLarge);
        if (_context.Logger.IsEnabled(LogLevel.Information) && _context.Throttled.ShouldLog(ThrottledEvent.HeaderTooLarge, Environment.TickCount64))
        {
            ConnectionLog.V2RequestRefused(_context.Logger, Id, Peer, id, $"{length} bytes, above Framing:MaxFrameBytes ({_codec.MaxFrameBytes})", nameof(ErrorCode.FrameTooLarge));
        }

        _lastRequestId = id;
        if (!_goingAway)
        {
            _lastAcceptedId = id;
        }

        V2Output.Error(_output, id, ErrorCode.FrameTooLarge, $"the request has {length} bytes; at most {_codec.MaxFrameBytes}");
    }

    private void OnPluginFaultV2(PluginGeneration generation, uint id, Exception exception)
    {
        _context.Metrics.PluginFault(PluginFaultKind.Exception);
        if (_context.Throttled.ShouldLog(ThrottledEvent.PluginFault, Environment.TickCount64))
        {
            ConnectionLog.PluginFault(_context.Logger, exception, generation.Name, generation.Version, Id, Peer, $"answered ERROR PLUGIN_FAULT for request {id}");
        }

        // The exception's type, never its message: that may carry the plugin's internals to any client.
        if (exception is PluginUnavailableException)
        {
            // Its worker process is gone (Isolation Process): not the plugin's answer to this request, so a code of its own.
            V2Output.Error(_output, id, ErrorCode.PluginUnavailable, exception.Message);
            return;
        }

        V2Output.Error(_output, id, ErrorCode.PluginFault, "the plugin failed: " + (exception is WorkerPluginException worker ? worker.TypeName : exception.GetType().Name));
    }

    private void RejectOversizedAnswerV2(PluginGeneration generation, uint id, long length)
    {
        _context.Metrics.PluginFault(PluginFaultKind.AnswerTooLarge);
        if (_context.Throttled.ShouldLog(ThrottledEvent.AnswerTooLarge, Environment.TickCount64))
        {
            ConnectionLog.V2RequestRefused(_context.Logger, Id, Peer, id, $"plugin {generation.Name} {generation.Version} answered {length} bytes, above {V2Output.MaxAnswerBytes}", nameof(ErrorCode.AnswerTooLarge));
        }

        V2Output.Error(_output, id, ErrorCode.AnswerTooLarge, $"the answer has {length} bytes; at most {V2Output.MaxAnswerBytes}");
    }
}
