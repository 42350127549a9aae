using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Plugins;

namespace PluggableNet.Server.Connections;

/// <summary>The protocol pass: frames out of the receive buffer, into the plugin, answers into the output buffer.</summary>
internal sealed partial class FrameConnection
{
    /// <summary>
    /// Parses and answers every complete frame that is buffered, as far as limits allow, then decides whether the
    /// connection closes (half-close answered, drain). One frame goes through nbNet's steps in turn:
    /// <see cref="ReadHeader"/>, <see cref="ReadBody"/>, <see cref="Process"/>, <see cref="TakeFrame"/>; once no
    /// step can go on, <see cref="EndPass"/> leaves the connection in the state its <see cref="Step"/> reports.
    /// </summary>
    private void Pump(PluginGeneration generation, long now)
    {
        if (_protocol != WireProtocol.V1)
        {
            PumpUnlessV1(generation, now);
            return;
        }

        if (_output.Length == 0)
        {
            _deadlines.WriteProgressed(now);
        }

        WritePushesQueuedEarlier();
        var inline = 0;
        var timing = _context.Meter.RequestDuration.Enabled;
        while (CloseReason == CloseReason.None && _offload is null && _output.Length <= _limits.MaxPendingWriteBytes
            && ReadHeader(out var buffered, out var frameLength)
            && ReadBody(buffered, frameLength, out var payload)
            && Process(generation, payload, timing, now, ref inline))
        {
            TakeFrame(frameLength, now);
        }

        EndPass(generation, inline, now);
    }

    /// <summary>
    /// ReadHeader: the next frame's length (header and payload), once its header is complete and valid. False while
    /// it is incomplete, or when it is invalid (the connection then closes after the answers before it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReadHeader(out ReadOnlySpan<byte> buffered, out int frameLength)
    {
        buffered = _input.Data;
        if (_expectedFrame == 0 && _codec.SkipsLineEndings && !buffered.IsEmpty && buffered[0] is (byte)'\r' or (byte)'\n')
        {
            buffered = SkipLineEndings(buffered);
        }

        var status = _codec.TryReadHeader(buffered, out var payloadLength);
        if (status != HeaderStatus.Valid)
        {
            if (status != HeaderStatus.Incomplete)
            {
                OnProtocolError(status, buffered);
            }

            frameLength = 0;
            return false;
        }

        frameLength = _codec.HeaderLength + payloadLength;
        return true;
    }

    /// <summary>Between frames only: the line ending telnet or `nc` adds after a typed request is not a header.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ReadOnlySpan<byte> SkipLineEndings(ReadOnlySpan<byte> buffered)
    {
        while (!buffered.IsEmpty && buffered[0] is (byte)'\r' or (byte)'\n')
        {
            var skipped = buffered.IndexOfAnyExcept((byte)'\r', (byte)'\n');
            _input.Consume(skipped < 0 ? buffered.Length : skipped);
            buffered = _input.Data;
        }

        return buffered;
    }

    /// <summary>ReadBody: the payload, once the whole frame is buffered; otherwise remembers how much is expected.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReadBody(ReadOnlySpan<byte> buffered, int frameLength, out ReadOnlySpan<byte> payload)
    {
        // Length, not buffered.Length: a large frame still arriving is held in segments, buffered is only its start.
        if (_input.Length < frameLength)
        {
            _expectedFrame = frameLength;
            payload = default;
            return false;
        }

        Debug.Assert(buffered.Length >= frameLength, "A complete frame is always in one array.");
        payload = buffered.Slice(_codec.HeaderLength, frameLength - _codec.HeaderLength);
        return true;
    }

    /// <summary>
    /// Process: answers the request inline, or starts it on the thread pool. False when it must wait for an offload
    /// slot; the frame then stays buffered.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Process(PluginGeneration generation, ReadOnlySpan<byte> payload, bool timing, long now, ref int inline)
    {
        if (generation.SessionPlugin is not null && !EnterSession(generation))
        {
            return false;
        }

        if (generation.Execution == PluginExecution.Offloaded)
        {
            return StartOffloadedV1(generation, payload, now);
        }

        if (IsolatedCount > 0)
        {
            // Swapped to an inline plugin while batched calls run: this answer waits for theirs, in order.
            return false;
        }

        if (_waitingForOffloadSlot)
        {
            // Swapped to an inline plugin while this frame waited for a slot: it needs none now.
            EndSlotWait();
        }

        // One inline request in HostMeter.InlineTimingInterval is timed (docs/observability.md).
        var timed = timing && --_untilTimed <= 0;
        if (timed)
        {
            _untilTimed = HostMeter.InlineTimingInterval;
        }

        ProcessInline(generation, payload, timed);
        inline++;
        Requests++;
        _unreportedRequests++;
        return true;
    }

    /// <summary>The frame is answered (or on its way to be): its bytes leave the receive buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void TakeFrame(int frameLength, long now)
    {
        _deadlines.FrameTaken(now);
        _expectedFrame = 0;
        _input.Consume(frameLength);
    }

    /// <summary>
    /// After a pass: starts the read limit of a frame begun, reports the requests answered, pauses reading while
    /// answers back up (Write), and closes once nothing more can come (Closing).
    /// </summary>
    private void EndPass(PluginGeneration generation, int inline, long now)
    {
        // The read limit runs from a frame's first byte, never from line endings skipped before it.
        SettlePass(generation, inline, frameStarted: !_input.IsEmpty, now);
        if ((_inputEnded || _context.Draining) && CloseReason == CloseReason.None && _offload is null && !_waitingForOffloadSlot && IsolatedCount == 0)
        {
            CloseIfDone();
        }

        OnStateChanged();
    }

    /// <summary>
    /// What ends every pass, v1's and v2's: starts the read limit of a frame begun, reports the requests answered, gives
    /// back an empty receive buffer, and pauses reading while answers back up.
    /// </summary>
    private void SettlePass(PluginGeneration generation, int inline, bool frameStarted, long now)
    {
        if (frameStarted)
        {
            _deadlines.FrameStarting(now);
        }

        if (inline > 0)
        {
            // Per version, on the generation that answered: a swap between two passes never mixes their counts.
            generation.Counters.RequestCounter.Add(inline);
        }

        if (_unreportedRequests > 0)
        {
            _context.Metrics.AddRequests(_unreportedRequests);
            _unreportedRequests = 0;
        }

        ServeSession();

        // The pass's requests to isolated plugins go to their worker now, in one write (FrameConnection.Isolated.cs).
        _isolated?.Flush();
        _input.ReleaseIfEmpty();
        if (_output.Length > _limits.MaxPendingWriteBytes && !_readPaused)
        {
            PauseReading();
        }
    }

    /// <summary>Write: unsent answers passed <c>Limits:MaxPendingWriteBytes</c>, so no more requests are read until they drain.</summary>
    private void PauseReading()
    {
        _readPaused = true;
        _context.Metrics.ReadPaused();
        if (_context.Logger.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.ReadPaused(_context.Logger, Id, $"{_output.Length} bytes of answers unsent");
        }
    }

    /// <summary>Closing: a half-closed peer has had every complete request answered, or a drain finds nothing buffered.</summary>
    private void CloseIfDone()
    {
        if (_inputEnded && _output.Length <= _limits.MaxPendingWriteBytes)
        {
            // Half-close: every complete request has been answered; a partial frame can never complete.
            RequestGracefulClose(CloseReason.RemoteClosed);
        }
        else if (_context.Draining && _input.IsEmpty)
        {
            RequestGracefulClose(CloseReason.Shutdown);
        }
    }

    private void ProcessInline(PluginGeneration generation, ReadOnlySpan<byte> payload, bool timed)
    {
        var headerAt = _output.Reserve(_codec.HeaderLength);
        var histogram = _context.Meter.RequestDuration;
        var started = timed ? Stopwatch.GetTimestamp() : 0;
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
            OnPluginFault(generation, exception);
            return;
        }

        RecordInline(histogram, started, generation);

        FinishAnswer(generation, headerAt);
    }

    private static void RecordInline(System.Diagnostics.Metrics.Histogram<double> histogram, long started, PluginGeneration generation)
    {
        if (started != 0)
        {
            histogram.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, generation.Counters.InlineTags);
        }
    }

    private void FinishAnswer(PluginGeneration generation, int headerAt)
    {
        var length = _output.Position - headerAt - _codec.HeaderLength;
        if (length == 0 && _v1Stream)
        {
            // A v1 stream promises no answer per request: an empty one sends nothing.
            _output.Truncate(headerAt);
            return;
        }

        if (length > _codec.MaxAnswerBytes)
        {
            // Never send a header that lies: drop this answer, send the ones before it, close.
            _output.Truncate(headerAt);
            RejectOversizedAnswer(generation, length);
            return;
        }

        _codec.WriteHeader(_output.Slice(headerAt, _codec.HeaderLength), length);
    }
}
