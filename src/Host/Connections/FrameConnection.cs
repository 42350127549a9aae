using System.Buffers;
using System.Net;
using Microsoft.Extensions.Logging;
using PluggableNet.Host.Framing;
using PluggableNet.Host.Logging;
using PluggableNet.Host.Plugins;

namespace PluggableNet.Host.Connections;

/// <summary>
/// The per-connection state machine, independent of how bytes move: a transport puts received bytes in,
/// takes answers out, and asks whether to read, write, wait or close. Both the epoll and the sockets transport
/// drive this same class, one thread at a time.
/// </summary>
/// <remarks>
/// A pipelined burst is parsed and answered in one pass: every complete frame in the receive buffer is handed
/// to the plugin in order and its answer framed straight into the output buffer, so one send carries them all.
/// Buffers are rented when data arrives and returned as soon as they are empty, which keeps idle connections small.
/// </remarks>
internal sealed class FrameConnection
{
    private readonly ConnectionContext _context;
    private readonly FrameCodec _codec;
    private readonly OutputBuffer _output = new();

    private byte[]? _input;
    private int _inputStart;
    private int _inputEnd;

    // Header + payload of the frame being received once its header is known; 0 while no header is known.
    private int _expectedFrame;
    private long _frameStartedAt;
    private long _lastRequestAt;

    // When the unsent answers last made progress (or were empty): a peer that stops reading them is slow, not idle.
    private long _lastWriteProgressAt;
    private long _requests;
    private long _unreportedRequests;
    private bool _inputEnded;
    private bool _waitingForOffloadSlot;

    private Task? _offloadTask;
    private long _offloadStartedAt;
    private byte[]? _offloadRequest;
    private ArrayBufferWriter<byte>? _offloadAnswer;
    private PluginGeneration? _offloadGeneration;
    private CancellationTokenSource? _offloadCancellation;

    public FrameConnection(ConnectionContext context, EndPoint? peer, long now)
    {
        _context = context;
        _codec = context.Codec;
        Id = context.NextConnectionId();
        Peer = peer;
        _lastRequestAt = now;
    }

    public long Id { get; }

    public EndPoint? Peer { get; }

    public ConnectionState State { get; private set; } = ConnectionState.Accept;

    /// <summary>Set once the connection must close; <see cref="CloseAfterFlush"/> says whether answers go out first.</summary>
    public CloseReason CloseReason { get; private set; }

    public bool CloseAfterFlush { get; private set; }

    public bool HasPendingOutput => _output.Length > 0;

    public ReadOnlySpan<byte> PendingOutput => _output.Pending;

    public ReadOnlyMemory<byte> PendingOutputMemory => _output.PendingMemory;

    /// <summary>The transport closes the connection now: an abort, or a graceful close with everything sent.</summary>
    public bool ShouldClose => CloseReason != CloseReason.None && (!CloseAfterFlush || _output.Length == 0);

    /// <summary>An offloaded request is running; the transport resumes the connection when it completes.</summary>
    public Task? OffloadTask => _offloadTask;

    /// <summary>Waiting for a free offload slot; the transport retries <see cref="Pump"/> later.</summary>
    public bool WaitingForOffloadSlot => _waitingForOffloadSlot;

    /// <summary>Whether the transport should read from the socket now (otherwise reading is paused: backpressure).</summary>
    public bool WantsRead =>
        CloseReason == CloseReason.None
        && !_inputEnded
        && _offloadTask is null
        && !_waitingForOffloadSlot
        && _output.Length <= _context.Limits.MaxPendingWriteBytes;

    /// <summary>Nothing received and unanswered: no partial frame, no request in the plugin.</summary>
    private bool IsQuiescent => _inputStart == _inputEnd && _offloadTask is null && !_waitingForOffloadSlot;

    public long Requests => _requests;

    /// <summary>Where the next <c>recv</c> writes. Rents the receive buffer on first use.</summary>
    public Span<byte> GetReceiveSpan()
    {
        EnsureReceiveSpace();
        return _input.AsSpan(_inputEnd);
    }

    public Memory<byte> GetReceiveMemory()
    {
        EnsureReceiveSpace();
        return _input.AsMemory(_inputEnd);
    }

    /// <summary>Takes <paramref name="count"/> newly received bytes and answers every complete frame among them.</summary>
    public void OnReceived(int count, PluginGeneration generation, long now)
    {
        _inputEnd += count;
        if (_frameStartedAt == 0)
        {
            _frameStartedAt = now;
        }

        Pump(generation, now);
    }

    /// <summary>The peer shut down its sending side: answer what is complete, then close.</summary>
    public void OnEndOfInput(PluginGeneration generation, long now)
    {
        _inputEnded = true;
        Pump(generation, now);
    }

    /// <summary>The transport sent <paramref name="count"/> bytes of <see cref="PendingOutput"/>.</summary>
    public void OnSent(int count)
    {
        _output.Consume(count);
        _lastWriteProgressAt = Environment.TickCount64;
        if (_output.Length == 0 && State == ConnectionState.Write)
        {
            // Everything answered: back to reading, as nbNet's write → read transition.
            SetState(ReadingState);
        }
    }

    /// <summary>Closes now, dropping unsent answers (reset, timeout, shutdown cut).</summary>
    public void Abort(CloseReason reason)
    {
        if (CloseReason == CloseReason.None || CloseAfterFlush)
        {
            CloseReason = reason;
            CloseAfterFlush = false;
        }

        SetState(ConnectionState.Closing);
    }

    /// <summary>
    /// Parses and answers every complete frame that is buffered, as far as limits allow. Called after a receive,
    /// after a send freed room, after an offloaded request completed, and when an offload slot may be free.
    /// </summary>
    public void Pump(PluginGeneration generation, long now)
    {
        if (_output.Length == 0)
        {
            _lastWriteProgressAt = now;
        }

        while (CloseReason == CloseReason.None
            && _offloadTask is null
            && _output.Length <= _context.Limits.MaxPendingWriteBytes)
        {
            var buffered = _input.AsSpan(_inputStart, _inputEnd - _inputStart);
            if (_expectedFrame == 0 && _codec.SkipsLineEndings && !buffered.IsEmpty && buffered[0] is (byte)'\r' or (byte)'\n')
            {
                // Between frames only: the line ending telnet or `nc` adds after a typed request is not a header.
                var skipped = buffered.IndexOfAnyExcept((byte)'\r', (byte)'\n');
                _inputStart += skipped < 0 ? buffered.Length : skipped;
                continue;
            }

            var status = _codec.TryReadHeader(buffered, out var payloadLength);
            if (status == HeaderStatus.Incomplete)
            {
                break;
            }

            if (status != HeaderStatus.Valid)
            {
                OnProtocolError(status, buffered);
                break;
            }

            var frameLength = _codec.HeaderLength + payloadLength;
            if (buffered.Length < frameLength)
            {
                _expectedFrame = frameLength;
                break;
            }

            SetState(ConnectionState.Process);
            var payload = buffered.Slice(_codec.HeaderLength, payloadLength);
            if (generation.Execution == PluginExecution.Offloaded)
            {
                if (!TryStartOffload(generation, payload, now))
                {
                    break;
                }
            }
            else
            {
                ProcessInline(generation, payload);
                _requests++;
                _unreportedRequests++;
            }

            _inputStart += frameLength;
            _expectedFrame = 0;
            _frameStartedAt = _inputStart == _inputEnd ? 0 : now;
            _lastRequestAt = now;
        }

        if (_unreportedRequests > 0)
        {
            _context.Metrics.AddRequests(_unreportedRequests);
            _unreportedRequests = 0;
        }

        if (_inputStart == _inputEnd)
        {
            ReleaseInput();
        }

        if (_output.Length > _context.Limits.MaxPendingWriteBytes && _context.Logger.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.ReadPaused(_context.Logger, Id, $"{_output.Length} bytes of answers unsent");
        }

        AfterPump();
    }

    private void AfterPump()
    {
        if (CloseReason != CloseReason.None)
        {
            SetState(ConnectionState.Closing);
            return;
        }

        var idle = _offloadTask is null && !_waitingForOffloadSlot && _output.Length <= _context.Limits.MaxPendingWriteBytes;
        if (_inputEnded && idle)
        {
            // Half-close: every complete request has been answered; a partial frame can never complete.
            RequestGracefulClose(CloseReason.RemoteClosed);
        }
        else if (_context.Draining && IsQuiescent)
        {
            RequestGracefulClose(CloseReason.Shutdown);
        }
        else if (_offloadTask is not null || _waitingForOffloadSlot)
        {
            SetState(ConnectionState.Process);
        }
        else if (_output.Length > 0)
        {
            SetState(ConnectionState.Write);
        }
        else
        {
            SetState(ReadingState);
        }
    }

    /// <summary>The read state the connection is in when nothing is in the plugin or waiting to be sent.</summary>
    private ConnectionState ReadingState => _expectedFrame > 0 ? ConnectionState.ReadBody : ConnectionState.ReadHeader;

    /// <summary>
    /// Whether a limit has run out (or a drain can close this connection), judged at <paramref name="now"/>.
    /// Reads state only, so a transport may call it from a timer thread; <see cref="CloseFor"/> acts on it.
    /// </summary>
    public CloseReason DueClose(long now)
    {
        if (CloseReason != CloseReason.None)
        {
            return CloseReason.None;
        }

        var limits = _context.Limits;
        if (_offloadTask is not null)
        {
            return limits.ProcessTimeoutMs > 0 && now - _offloadStartedAt >= limits.ProcessTimeoutMs ? CloseReason.ProcessTimeout : CloseReason.None;
        }

        if (_waitingForOffloadSlot)
        {
            // A complete request waits for a server-side slot: the peer is not slow, so no read timeout applies.
            return CloseReason.None;
        }

        if (_output.Length > 0)
        {
            // Answers wait for the peer to read them (and, under backpressure, so do its buffered requests).
            return limits.WriteTimeoutMs > 0 && now - _lastWriteProgressAt >= limits.WriteTimeoutMs ? CloseReason.WriteTimeout : CloseReason.None;
        }

        if (_inputStart != _inputEnd)
        {
            return limits.ReadTimeoutMs > 0 && _frameStartedAt != 0 && now - _frameStartedAt >= limits.ReadTimeoutMs ? CloseReason.ReadTimeout : CloseReason.None;
        }

        if (_context.Draining)
        {
            return CloseReason.Shutdown;
        }

        return limits.IdleTimeoutMs > 0 && now - _lastRequestAt >= limits.IdleTimeoutMs ? CloseReason.IdleTimeout : CloseReason.None;
    }

    /// <summary>Acts on a reason returned by <see cref="DueClose"/>: logs it and closes.</summary>
    public void CloseFor(CloseReason reason, long now)
    {
        switch (reason)
        {
            case CloseReason.None:
                return;
            case CloseReason.Shutdown:
                RequestGracefulClose(reason);
                return;
            case CloseReason.ProcessTimeout or CloseReason.ReadTimeout or CloseReason.IdleTimeout or CloseReason.WriteTimeout:
                ReportExpired(reason, now);
                Abort(reason);
                return;
            default:
                Abort(reason);
                return;
        }
    }

    /// <summary>
    /// Counts and logs a timeout with how long its limit ran. Reads state only, so a transport that closes the
    /// socket from a timer thread (sockets) reports through here as the reactor does.
    /// </summary>
    public void ReportExpired(CloseReason reason, long now)
    {
        _context.Metrics.Timeout();
        ConnectionLog.TimedOut(_context.Logger, Id, Peer, reason.ToString(), ElapsedFor(reason, now));
    }

    /// <summary>How long the limit behind <paramref name="reason"/> has been running, for the log.</summary>
    private long ElapsedFor(CloseReason reason, long now) => reason switch
    {
        CloseReason.ProcessTimeout => now - _offloadStartedAt,
        CloseReason.ReadTimeout => now - _frameStartedAt,
        CloseReason.IdleTimeout => now - _lastRequestAt,
        CloseReason.WriteTimeout => now - _lastWriteProgressAt,
        _ => 0,
    };

    /// <summary>The socket had nothing to read after all: give the receive buffer back.</summary>
    public void OnNoData()
    {
        if (_inputStart == _inputEnd)
        {
            ReleaseInput();
        }
    }

    /// <summary>Bytes received and not yet consumed by a complete frame.</summary>
    public bool HasBufferedInput => _inputEnd > _inputStart;

    /// <summary>Nothing in progress and nothing to send: the connection may close without losing anything.</summary>
    public bool IsIdle => IsQuiescent && _output.Length == 0;

    /// <summary>Completes an offloaded request on the transport's thread, then carries on with buffered frames.</summary>
    public void CompleteOffload(PluginGeneration generation, long now)
    {
        var task = _offloadTask;
        if (task is null)
        {
            return;
        }

        var offloadGeneration = _offloadGeneration!;
        var answer = _offloadAnswer!;
        _offloadTask = null;
        ReleaseOffloadResources();

        if (CloseReason == CloseReason.None)
        {
            if (task.IsCompletedSuccessfully)
            {
                var headerAt = _output.Reserve(_codec.HeaderLength);
                _output.Write(answer.WrittenSpan);
                FinishAnswer(offloadGeneration, headerAt);
            }
            else
            {
                OnPluginFault(offloadGeneration, task.Exception?.GetBaseException() ?? new TaskCanceledException(task));
            }

            _requests++;
            _unreportedRequests++;
            _lastRequestAt = now;
        }

        Pump(generation, now);
    }

    /// <summary>Returns every buffer and releases an abandoned offloaded request once its task ends.</summary>
    public void Release()
    {
        if (_offloadTask is { } task)
        {
            _offloadTask = null;
            _offloadCancellation?.Cancel();

            // The slot is freed now: a plugin that ignores cancellation must not wedge all offloaded work.
            // Its request buffer, and the pin on its generation, are released only when it really ends, so the
            // old code is never unloaded under it.
            _context.OffloadGate.Exit();
            var generation = _offloadGeneration!;
            var request = _offloadRequest;
            var cancellation = _offloadCancellation;
            _offloadGeneration = null;
            _offloadRequest = null;
            _offloadAnswer = null;
            _offloadCancellation = null;
            _ = task.ContinueWith(
                static (_, state) =>
                {
                    var (generation, request, cancellation) = ((PluginGeneration, byte[]?, CancellationTokenSource?))state!;
                    PluginSwitch.Release(generation);
                    cancellation?.Dispose();
                    if (request is not null)
                    {
                        ArrayPool<byte>.Shared.Return(request);
                    }
                },
                (generation, request, cancellation),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        ReleaseInput(force: true);
        _output.Release();
        SetState(ConnectionState.Closing);
    }

    private void ProcessInline(PluginGeneration generation, ReadOnlySpan<byte> payload)
    {
        var headerAt = _output.Reserve(_codec.HeaderLength);
        try
        {
            generation.Plugin.Process(payload, _output);
        }
        catch (Exception exception)
        {
            _output.Truncate(headerAt);
            OnPluginFault(generation, exception);
            return;
        }

        FinishAnswer(generation, headerAt);
    }

    private void FinishAnswer(PluginGeneration generation, int headerAt)
    {
        var length = _output.Position - headerAt - _codec.HeaderLength;
        if (length > _codec.MaxAnswerBytes)
        {
            // Never send a header that lies: drop this answer, send the ones before it, close.
            _output.Truncate(headerAt);
            ConnectionLog.AnswerTooLarge(_context.Logger, generation.Name, generation.Version, length, Id, Peer, _codec.MaxAnswerBytes);
            _context.Metrics.PluginFault();
            RequestGracefulClose(CloseReason.AnswerTooLarge);
            return;
        }

        _codec.WriteHeader(_output.Slice(headerAt, _codec.HeaderLength), length);
    }

    private void OnPluginFault(PluginGeneration generation, Exception exception)
    {
        _context.Metrics.PluginFault();
        if (_context.Limits.PluginFaultAction == PluginFaultAction.EmptyFrame)
        {
            ConnectionLog.PluginFault(_context.Logger, exception, generation.Name, generation.Version, Id, Peer, "answered with an empty frame");
            var headerAt = _output.Reserve(_codec.HeaderLength);
            _codec.WriteHeader(_output.Slice(headerAt, _codec.HeaderLength), 0);
            return;
        }

        ConnectionLog.PluginFault(_context.Logger, exception, generation.Name, generation.Version, Id, Peer, "connection closed");
        RequestGracefulClose(CloseReason.PluginFault);
    }

    private void OnProtocolError(HeaderStatus status, ReadOnlySpan<byte> buffered)
    {
        var reason = status switch
        {
            HeaderStatus.NotDigits => $"not all digits: \"{Printable(buffered[.._codec.HeaderLength])}\"",
            HeaderStatus.ZeroLength => "length 0",
            _ => $"length above Framing:MaxFrameBytes ({_codec.MaxFrameBytes})",
        };
        _context.Metrics.ProtocolError();
        ConnectionLog.ProtocolError(_context.Logger, Id, Peer, reason);

        // Answers to the valid requests before the bad header still go out; nothing after it is read.
        _inputStart = _inputEnd;
        RequestGracefulClose(CloseReason.ProtocolError);
    }

    private bool TryStartOffload(PluginGeneration generation, ReadOnlySpan<byte> payload, long now)
    {
        if (!_context.OffloadGate.TryEnter())
        {
            if (!_waitingForOffloadSlot && _context.Logger.IsEnabled(LogLevel.Debug))
            {
                ConnectionLog.ReadPaused(_context.Logger, Id, $"all {_context.OffloadGate.Capacity} offload slots busy");
            }

            _waitingForOffloadSlot = true;
            return false;
        }

        _waitingForOffloadSlot = false;
        var request = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.CopyTo(request);
        var answer = new ArrayBufferWriter<byte>();
        var cancellation = new CancellationTokenSource();
        var plugin = generation.Plugin;
        var memory = new ReadOnlyMemory<byte>(request, 0, payload.Length);

        // Pinned for the whole run: a swap waits for this request before disposing the code it runs on.
        generation.Enter();
        _offloadGeneration = generation;
        _offloadRequest = request;
        _offloadAnswer = answer;
        _offloadCancellation = cancellation;
        _offloadStartedAt = now;
        _offloadTask = Task.Run(() => plugin.ProcessAsync(memory, answer, cancellation.Token).AsTask(), CancellationToken.None);
        return true;
    }

    private void ReleaseOffloadResources()
    {
        PluginSwitch.Release(_offloadGeneration!);
        _context.OffloadGate.Exit();
        _offloadCancellation?.Dispose();
        if (_offloadRequest is not null)
        {
            ArrayPool<byte>.Shared.Return(_offloadRequest);
        }

        _offloadGeneration = null;
        _offloadRequest = null;
        _offloadAnswer = null;
        _offloadCancellation = null;
    }

    private void RequestGracefulClose(CloseReason reason)
    {
        if (CloseReason == CloseReason.None)
        {
            CloseReason = reason;
            CloseAfterFlush = true;
        }

        SetState(ConnectionState.Closing);
    }

    private void EnsureReceiveSpace()
    {
        var limits = _context.Limits;
        if (_input is null)
        {
            _input = ArrayPool<byte>.Shared.Rent(Math.Max(limits.ReceiveBufferBytes, _expectedFrame));
            return;
        }

        var free = _input.Length - _inputEnd;
        var frameFits = _expectedFrame == 0 || _inputStart + _expectedFrame <= _input.Length;
        if (frameFits && free > 0 && (free >= _input.Length / 4 || _inputStart == 0))
        {
            return;
        }

        // Move the partial frame to the front, into a larger buffer if the announced frame needs one.
        var buffered = _inputEnd - _inputStart;
        var size = Math.Max(limits.ReceiveBufferBytes, _expectedFrame);
        if (size <= _input.Length && _inputStart > 0)
        {
            _input.AsSpan(_inputStart, buffered).CopyTo(_input);
        }
        else
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(size, buffered + 1));
            _input.AsSpan(_inputStart, buffered).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_input);
            _input = larger;
        }

        _inputStart = 0;
        _inputEnd = buffered;
    }

    private void ReleaseInput(bool force = false)
    {
        if (_input is not null && (force || _inputStart == _inputEnd))
        {
            ArrayPool<byte>.Shared.Return(_input);
            _input = null;
            _inputStart = 0;
            _inputEnd = 0;
        }
    }

    private void SetState(ConnectionState state)
    {
        if (State == state)
        {
            return;
        }

        State = state;
        if (_context.Logger.IsEnabled(LogLevel.Debug))
        {
            var need = _expectedFrame > 0 ? _expectedFrame - (_inputEnd - _inputStart) : _codec.HeaderLength - (_inputEnd - _inputStart);
            ConnectionLog.State(_context.Logger, Id, state.ToString(), _inputEnd - _inputStart, Math.Max(need, 0), _output.Length);
        }
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = bytes[i] is >= 0x20 and < 0x7f ? (char)bytes[i] : '.';
        }

        return new string(chars);
    }
}
