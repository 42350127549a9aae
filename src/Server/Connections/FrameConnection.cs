using System.Buffers;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Plugins;

namespace PluggableNet.Server.Connections;

/// <summary>
/// The per-connection state machine, independent of how bytes move: a transport puts received bytes in, takes
/// answers out, and acts on one computed <see cref="Step"/> (read, write, await the plugin, await a slot, close).
/// Both the epoll and the sockets transport drive this same class, one thread at a time.
/// </summary>
/// <remarks>
/// A pipelined burst is parsed and answered in one pass: every complete frame in the receive buffer is handed to
/// the plugin in order and its answer framed straight into the output buffer, so one send carries them all.
/// The parts: <see cref="ReceiveBuffer"/> and <see cref="OutputBuffer"/> hold the bytes,
/// <see cref="OffloadedRequest"/> a request on the thread pool, <see cref="ConnectionDeadlines"/> the timeouts.
/// This file: the state, the next step, and the events a transport reports. The protocol pass, step by step, is in
/// <c>FrameConnection.Pump.cs</c>; offloaded requests in <c>FrameConnection.Offload.cs</c>; bad requests and plugin
/// failures in <c>FrameConnection.Faults.cs</c>; timeouts and drain in <c>FrameConnection.Deadlines.cs</c>.
/// </remarks>
internal sealed partial class FrameConnection
{
    private readonly ConnectionContext _context;
    private readonly FrameCodec _codec;
    private readonly ConnectionLimits _limits;
    private readonly ReceiveBuffer _input;
    private readonly OutputBuffer _output;
    private ConnectionDeadlines _deadlines;

    // Header + payload of the frame being received once its header is known; 0 while no header is known.
    private int _expectedFrame;
    private long _unreportedRequests;
    private bool _receivedAny;
    private bool _inputEnded;
    private bool _waitingForOffloadSlot;
    private bool _readPaused;

    // Inline requests left before the next one is timed for pluggablenet.request.duration; the first one is.
    private int _untilTimed;
    private OffloadedRequest? _offload;
    private ConnectionState _loggedState;

    /// <param name="context">What every connection of the server shares.</param>
    /// <param name="peer">The remote endpoint, for logs.</param>
    /// <param name="now">When it was accepted (<see cref="Environment.TickCount64"/> milliseconds).</param>
    /// <param name="scannedFromAnotherThread">
    /// Whether the transport judges timeouts (<see cref="DueClose"/>) from a thread other than the one driving the
    /// connection: the connection then publishes its next deadline after every event (FrameConnection.Deadlines.cs).
    /// </param>
    public FrameConnection(ConnectionContext context, EndPoint? peer, long now, bool scannedFromAnotherThread = false)
    {
        _context = context;
        _codec = context.Codec;
        _limits = context.Limits;
        _input = new ReceiveBuffer(_limits.ReceiveBufferBytes);
        _output = new OutputBuffer(_limits.MaxPendingWriteBytes);
        _deadlines = new ConnectionDeadlines(now);
        Id = context.NextConnectionId();
        Peer = peer;
        OpenedAt = Stopwatch.GetTimestamp();
        _awaitingProxyHeader = _limits.ProxyProtocol;
        _protocol = _limits.AllowV2 || _awaitingProxyHeader ? WireProtocol.Undecided : WireProtocol.V1;
        _publishesDeadline = scannedFromAnotherThread;
        if (_publishesDeadline)
        {
            PublishDeadline();
        }
    }

    public long Id { get; }

    /// <summary>The remote endpoint: the client a trusted proxy's PROXY header named, or the socket's peer.</summary>
    public EndPoint? Peer { get; private set; }

    /// <summary>When the state machine was created (a <see cref="Stopwatch"/> timestamp), for <c>pluggablenet.connection.duration</c>.</summary>
    public long OpenedAt { get; }

    /// <summary>Requests answered (or failed) on this connection.</summary>
    public long Requests { get; private set; }

    /// <summary>Set once the connection must close; <see cref="CloseAfterFlush"/> says whether answers go out first.</summary>
    public CloseReason CloseReason { get; private set; }

    public bool CloseAfterFlush { get; private set; }

    public ReadOnlySpan<byte> PendingOutput => _output.Pending;

    public ReadOnlyMemory<byte> PendingOutputMemory => _output.PendingMemory;

    /// <summary>The running offloaded request's task, while <see cref="Step"/> includes <see cref="ConnectionStep.AwaitOffload"/>.</summary>
    public Task? OffloadTask => _offload?.Task;

    /// <summary>What the transport does next. Computed from the parts, so it can never disagree with them.</summary>
    public ConnectionStep Step
    {
        get
        {
            var pending = _output.Length;
            if (CloseReason != CloseReason.None)
            {
                return CloseAfterFlush && pending > 0 ? ConnectionStep.Write : ConnectionStep.Close;
            }

            if (_context.Detaching is { IsOpen: true } && CanDetach)
            {
                // Between requests while a detach batch is open: the connection leaves (FrameConnection.Snapshot.cs).
                return ConnectionStep.Detach;
            }

            var step = pending > 0 ? ConnectionStep.Write : ConnectionStep.None;
            if (_offload is not null)
            {
                return step | ConnectionStep.AwaitOffload;
            }

            if (_protocol != WireProtocol.V2 && IsolatedCount > 0)
            {
                // v1 with batched calls to a worker: nothing more is read until their answers wake the connection.
                return step == ConnectionStep.None ? ConnectionStep.AwaitWake : step;
            }

            if (_waitingForOffloadSlot)
            {
                return step | ConnectionStep.AwaitSlot;
            }

            if (_parked)
            {
                // A swap is moving the sessions' state: nothing more is read until the gate wakes the connection.
                return step | ConnectionStep.AwaitWake;
            }

            if (!_inputEnded && pending <= _limits.MaxPendingWriteBytes)
            {
                return step | ConnectionStep.Read;
            }

            // v2: nothing to read or send, calls still running; their completion wakes the connection.
            return step == ConnectionStep.None && InFlightCount > 0 ? ConnectionStep.AwaitWake : step;
        }
    }

    /// <summary>nbNet's state label, derived from <see cref="Step"/> and the buffers: for logs and the diagram in docs/architecture.md.</summary>
    public ConnectionState State
    {
        get
        {
            var step = Step;
            return step switch
            {
                _ when CloseReason != CloseReason.None => ConnectionState.Closing,
                _ when (step & (ConnectionStep.AwaitOffload | ConnectionStep.AwaitSlot)) != 0 => ConnectionState.Process,
                _ when (step & ConnectionStep.Write) != 0 => ConnectionState.Write,
                _ when _expectedFrame > 0 => ConnectionState.ReadBody,
                _ when !_receivedAny => ConnectionState.Accept,
                _ => ConnectionState.ReadHeader,
            };
        }
    }

    /// <summary>Bytes of the receive buffer's arrays held now: what memory a peer's bytes cost, for tests and diagnostics.</summary>
    public int ReceiveCapacity => _input.Capacity;

    /// <summary>Nothing received and unanswered, nothing to send: the connection may close without losing anything.</summary>
    public bool IsIdle => _input.IsEmpty && _offload is null && !_waitingForOffloadSlot && _output.Length == 0 && InFlightCount == 0;

    /// <summary>Where the next receive writes. Rents the receive buffer on first use.</summary>
    public Span<byte> GetReceiveSpan() => _input.GetSpan(_expectedFrame);

    /// <inheritdoc cref="GetReceiveSpan"/>
    public Memory<byte> GetReceiveMemory() => _input.GetMemory(_expectedFrame);

    /// <summary>Takes <paramref name="count"/> newly received bytes and answers every complete frame among them.</summary>
    public void OnReceived(int count, PluginGeneration generation, long now)
    {
        _input.Advance(count);
        _context.Metrics.Received(count);
        _receivedAny = true;
        _lastReceivedAt = now;
        Pump(generation, now);
    }

    /// <summary>The socket had nothing to read after all: give the receive buffer back.</summary>
    public void OnNoData() => _input.ReleaseIfEmpty();

    /// <summary>The peer shut down its sending side: answer what is complete, then close.</summary>
    public void OnEndOfInput(PluginGeneration generation, long now)
    {
        _inputEnded = true;
        Pump(generation, now);
    }

    /// <summary>
    /// The transport sent <paramref name="count"/> bytes of <see cref="PendingOutput"/>. Once everything is sent,
    /// frames that backpressure left waiting in the receive buffer are answered.
    /// </summary>
    public void OnSent(int count, PluginGeneration generation, long now)
    {
        _output.Consume(count);
        _context.Metrics.Sent(count);
        _deadlines.WriteProgressed(now);
        if (_readPaused && _output.Length <= _limits.MaxPendingWriteBytes)
        {
            _readPaused = false;
            _context.Metrics.ReadResumed();
        }

        if (_output.Length == 0 && !_input.IsEmpty && CloseReason == CloseReason.None && _offload is null)
        {
            Pump(generation, now);
        }
        else
        {
            OnStateChanged();
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

        OnStateChanged();
    }

    /// <summary>
    /// Closes now for a failure of the host's own (<see cref="CloseReason.InternalError"/>): a bug caught at the
    /// transport's boundary, or a system call that failed through us. Logged at Error, once per connection.
    /// </summary>
    public void FailInternally(string operation, Exception? exception = null)
    {
        if (CloseReason != CloseReason.InternalError)
        {
            ConnectionLog.InternalError(_context.Logger, exception, Id, Peer, operation);
        }

        Abort(CloseReason.InternalError);
    }

    /// <summary>Returns every buffer and abandons a running offloaded request. Called once, after the socket closed.</summary>
    public void Release()
    {
        if (_offload is { } offload)
        {
            _offload = null;
            offload.Abandon();
        }

        _inFlight?.AbandonAll();
        _isolated?.AbandonAll();

        if (_readPaused)
        {
            _readPaused = false;
            _context.Metrics.ReadResumed();
        }

        if (_waitingForOffloadSlot)
        {
            _waitingForOffloadSlot = false;
            _context.Metrics.OffloadSlotWaitEnded();

            // It may have been signalled for a slot it will never take now: let the next waiter have it.
            _context.OffloadGate.WakeWaiters();
        }

        EndSession();
        _input.Release();
        _output.Release();
    }

    private void RequestGracefulClose(CloseReason reason)
    {
        if (CloseReason == CloseReason.None)
        {
            CloseReason = reason;
            CloseAfterFlush = true;
        }

        OnStateChanged();
    }

    /// <summary>
    /// At the end of every event: publishes the next deadline for the scan, and writes nbNet's per-connection state
    /// dump, at Debug, whenever the derived state changes.
    /// </summary>
    private void OnStateChanged()
    {
        if (_holdsPermit)
        {
            ExitSessionPass();
        }

        _session?.PublishBacklog(_output.Length);

        if (_publishesDeadline)
        {
            PublishDeadline();
        }

        if (!_context.Logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        var state = State;
        if (state != _loggedState)
        {
            _loggedState = state;
            var buffered = _input.Length;
            var need = _expectedFrame > 0 ? _expectedFrame - buffered : _codec.HeaderLength - buffered;
            ConnectionLog.State(_context.Logger, Id, state.ToString(), buffered, Math.Max(need, 0), _output.Length);
        }
    }
}
