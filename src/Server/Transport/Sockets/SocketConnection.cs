using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Transport.Tls;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// Drives one <see cref="FrameConnection"/> over a <see cref="Socket"/> with an async loop that acts on the
/// connection's next step. Writing comes first: sending everything before the next receive is this transport's
/// backpressure. On a TLS endpoint (<paramref name="tls"/>) the loop first runs the handshake, then reads and writes
/// through the TLS stream; everything else (aborts, shutdown, lingering) still acts on the socket under it.
/// </summary>
internal sealed partial class SocketConnection(Socket socket, FrameConnection machine, ConnectionLifecycle lifecycle, TlsHandshake? tls = null) : ITransportConnection, IOffloadSlotWaiter, IConnectionWaker, ILocalAddress
{
    /// <summary>Where a lingering close reads what it drops: shared, since nobody ever looks at it.</summary>
    private static readonly byte[] s_discard = new byte[4096];

    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Ends the receive an idle connection is parked in, leaving the socket open for a lingering close; cancelled by a
    /// detach too, then replaced (SocketConnection.Detach.cs).
    /// </summary>
    private CancellationTokenSource _idleReceive = new();
    private readonly PluginSwitch _plugins = lifecycle.Context.Plugins;
    private volatile bool _idleInReceive;
    private volatile bool _lingering;
    private int _abortReason;

    // What the loop waits for (a wake, a readable socket, an abort, a slot): one reusable signal, see LoopSignal.
    private readonly LoopSignal _signal = new();

    // TLS only: a receive through the stream is cancellable by Wake while _receiveParked is 1, through _receiveWake
    // (replaced once cancelled). A plain connection waits on the signal instead (SocketConnection.Wakeable.cs).
    private CancellationTokenSource _receiveWake = new();
    private int _receiveParked;

    // 1 while the loop waits for an offload slot: a signal that comes after it stopped waiting (aborted) is refused
    // and the slot goes to the next waiter.
    private int _waitingForSlot;

    public FrameConnection Machine { get; } = machine;

    public System.Net.EndPoint? LocalEndPoint
    {
        get
        {
            try
            {
                return socket.LocalEndPoint;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return null;
            }
        }
    }

    /// <summary>Answered and shut down, waiting for the peer's end: drained, not cut, when a stop ends it.</summary>
    public bool IsLingering => _lingering;

    /// <summary>Unless the loop is parked in an empty receive, a request may be between the socket and the machine.</summary>
    public bool RequestMayBeInFlight => !_idleInReceive || HasUnreadBytes;

    /// <summary>Why another thread aborted this connection, or None.</summary>
    private CloseReason AbortReason => (CloseReason)Volatile.Read(ref _abortReason);

    private bool HasUnreadBytes
    {
        get
        {
            try
            {
                return socket.Available > 0;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Ends the connection from another thread (timeout, drain); the loop then ends with <paramref name="reason"/>. An
    /// idle connection closed for a reason that lingers (drain, idle timeout) has its parked receive cancelled, and the
    /// loop closes it gracefully; anything else has its socket shut down or closed under it.
    /// </summary>
    public void Abort(CloseReason reason)
    {
        if (Interlocked.CompareExchange(ref _abortReason, (int)reason, 0) == 0)
        {
            if (LingeringClose.Applies(reason) && _idleInReceive)
            {
                Volatile.Read(ref _idleReceive).Cancel();
            }
            else if (reason != CloseReason.Shutdown || !TryShutdown())
            {
                socket.Dispose();
            }

            // Ending the socket ends a pending receive or send, but not a wait on the plugin or on the signal: end those too.
            _aborted.TrySetResult();
            _signal.Set(LoopSignal.Aborted);
            CancelParkedReceive();
        }
    }

    /// <summary>A stop's deadline: whatever the connection is doing, lingering included, it ends now.</summary>
    public void Cut()
    {
        Abort(CloseReason.Shutdown);
        socket.Dispose();
    }

    /// <summary>Any thread: the loop gives the machine a turn (<see cref="FrameConnection.OnWake"/>) as soon as it can.</summary>
    public void Wake()
    {
        if (Machine.SlowConsumerCut)
        {
            // The loop may be parked in a send the peer never drains: a turn would never come.
            Abort(CloseReason.SlowConsumer);
        }

        if (!DeferWake())
        {
            SetWoken();
        }
    }

    /// <summary>Never: a connection's loop runs on any thread-pool thread, so a push is queued and the loop woken.</summary>
    public bool OnOwnPass => false;

    public void SendAfterPass() => throw new InvalidOperationException("A sockets connection has no pass to send after.");

    /// <summary>Any thread: the loop's next wait (or the one it is in) ends, and a TLS read parked for it too.</summary>
    private void SetWoken()
    {
        _signal.Set(LoopSignal.Woken);
        CancelParkedReceive();
    }

    public async Task RunAsync()
    {
        try
        {
            if (tls is not null)
            {
                await StartTlsAsync(tls, socket).ConfigureAwait(false);
            }
            else
            {
                // Only the synchronous receive after a readiness sees this: it returns WouldBlock instead of waiting.
                socket.Blocking = false;
            }

            while (Machine.Step is var step && step != ConnectionStep.Close)
            {
                if (step == ConnectionStep.Detach)
                {
                    if (_readArmed)
                    {
                        await DisarmReadinessAsync().ConfigureAwait(false);
                        if (AbortReason != CloseReason.None)
                        {
                            Machine.Abort(AbortReason);
                            break;
                        }
                    }
                    else if (TryDetach())
                    {
                        return;
                    }
                }
                else if (_signal.Take(LoopSignal.Woken))
                {
                    using var lease = _plugins.Acquire();
                    Machine.OnWake(lease.Generation, Environment.TickCount64);
                }
                else if ((step & ConnectionStep.Write) != 0)
                {
                    if (!TrySendNow(out var sent))
                    {
                        sent = await SendAsync(Machine.PendingOutputMemory).ConfigureAwait(false);
                    }

                    using var lease = _plugins.Acquire();
                    Machine.OnSent(sent, lease.Generation, Environment.TickCount64);
                }
                else if ((step & ConnectionStep.Read) != 0)
                {
                    int received;
                    if (Machine.Wakeable || _readArmed)
                    {
                        if (AbortReason != CloseReason.None)
                        {
                            Machine.Abort(AbortReason);
                            break;
                        }

                        if (UsesReadiness)
                        {
                            await WaitReadableOrWake().ConfigureAwait(false);
                            try
                            {
                                if (!TryReceiveReadable(out received))
                                {
                                    // Woken, aborted, or nothing to read after all: the top of the loop acts on it.
                                    continue;
                                }
                            }
                            catch (OperationCanceledException) when (_detachRequested && AbortReason == CloseReason.None)
                            {
                                // A detach cancelled the readiness; the top of the loop acts on it.
                                RenewReceiveCancellation();
                                continue;
                            }
                        }
                        else if (await ReceiveOrWakeAsync().ConfigureAwait(false) is { } count)
                        {
                            received = count;
                        }
                        else
                        {
                            // Woken: the top of the loop acts on it.
                            continue;
                        }
                    }
                    else
                    {
                        // Awaited here, not in an async method of its own: that one's box cost ~75 B per request.
                        var cancel = Volatile.Read(ref _idleReceive);
                        try
                        {
                            if (Machine.IsIdle)
                            {
                                // Wait for data before renting a buffer, as Kestrel does: an idle connection holds none.
                                _idleInReceive = true;
                                await ReceiveAsync(Memory<byte>.Empty, cancel.Token).ConfigureAwait(false);
                                _idleInReceive = false;
                            }

                            // Abort cancels only an idle receive (_idleInReceive), so this one ends for a detach alone.
                            received = await ReceiveAsync(Machine.GetReceiveMemory(), cancel.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (_detachRequested && AbortReason == CloseReason.None)
                        {
                            // A detach cancelled the receive; the top of the loop acts on it.
                            RenewReceiveCancellation();
                            continue;
                        }
                    }

                    if (received == 0 && AbortReason != CloseReason.None)
                    {
                        // Our own shutdown (a drain), not the peer's half-close.
                        Machine.Abort(AbortReason);
                        break;
                    }

                    using var lease = _plugins.Acquire();
                    ReceivedDeferringWakes(received, lease.Generation);
                }
                else if ((step & ConnectionStep.AwaitOffload) != 0)
                {
                    var task = Machine.OffloadTask!;
                    await Task.WhenAny(task, _aborted.Task).ConfigureAwait(false);
                    if (!task.IsCompleted)
                    {
                        // Timed out or cut by shutdown: abandon the request (Release cancels it) and close.
                        Machine.Abort(AbortReason);
                        break;
                    }

                    using var lease = _plugins.Acquire();
                    Machine.CompleteOffload(lease.Generation, Environment.TickCount64);
                }
                else if ((step & ConnectionStep.AwaitWake) != 0)
                {
                    await _signal.WaitAsync(LoopSignal.Woken | LoopSignal.Aborted).ConfigureAwait(false);
                    if (AbortReason != CloseReason.None)
                    {
                        Machine.Abort(AbortReason);
                        break;
                    }
                }
                else if ((step & ConnectionStep.AwaitSlot) != 0)
                {
                    await WaitForSlotAsync().ConfigureAwait(false);
                    if (AbortReason != CloseReason.None)
                    {
                        Machine.Abort(AbortReason);
                        break;
                    }

                    using var lease = _plugins.Acquire();
                    Machine.RetryOffloadSlot(lease.Generation, Environment.TickCount64);
                }
                else
                {
                    Debug.Fail($"Connection {Machine.Id}: no next step");
                    Machine.FailInternally("the sockets transport: no next step");
                }
            }
        }
        catch (OperationCanceledException) when (AbortReason != CloseReason.None)
        {
            // The parked receive, cancelled by Abort: a graceful close between requests.
            Machine.Abort(AbortReason);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or IOException)
        {
            var reason = AbortReason;
            if (reason == CloseReason.None && lifecycle.Context.Logger.IsEnabled(LogLevel.Debug))
            {
                ConnectionLog.SocketError(lifecycle.Context.Logger, Machine.Id, Machine.Peer, exception.Message);
            }

            Machine.Abort(reason == CloseReason.None ? CloseReason.RemoteReset : reason);
        }
        catch (Exception exception)
        {
            Machine.FailInternally("the sockets transport", exception);
        }
        finally
        {
            if (!_detached)
            {
                await CloseAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Until the offload gate signals that a slot may be free, a wake, or another thread aborts the connection.</summary>
    private async ValueTask WaitForSlotAsync()
    {
        _signal.Take(LoopSignal.SlotFreed);
        Volatile.Write(ref _waitingForSlot, 1);
        lifecycle.Context.OffloadGate.WaitForSlot(this);
        await _signal.WaitAsync(LoopSignal.SlotFreed | LoopSignal.Woken | LoopSignal.Aborted).ConfigureAwait(false);
        Volatile.Write(ref _waitingForSlot, 0);
    }

    /// <summary>TLS: a receive parked in <see cref="ReceiveOrWakeAsync"/> ends, so the loop sees the wake or the abort.</summary>
    private void CancelParkedReceive()
    {
        if (Volatile.Read(ref _receiveParked) == 1 && Interlocked.Exchange(ref _receiveParked, 0) == 1)
        {
            Volatile.Read(ref _receiveWake).Cancel();
        }
    }

    /// <summary>
    /// TLS: receives as v1 does (an idle connection first waits with a zero-byte read, holding no buffer), except that
    /// <see cref="Wake"/> cancels the wait: null when woken, otherwise the bytes received (0 at the peer's end). A
    /// zero-byte read may complete without data, so the read after it must be cancellable too. Each wake costs a
    /// cancelled read here (an exception, a new token source); a plain connection's wake costs nothing.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int?> ReceiveOrWakeAsync()
    {
        if (Volatile.Read(ref _receiveWake).IsCancellationRequested)
        {
            Volatile.Write(ref _receiveWake, new CancellationTokenSource());
        }

        var receiveWake = _receiveWake;
        Interlocked.Exchange(ref _receiveParked, 1);
        try
        {
            // After parking: a Wake before it set the signal (seen here), a Wake after it cancels the receive.
            if (_signal.IsSet(LoopSignal.Woken | LoopSignal.Aborted))
            {
                return null;
            }

            if (Machine.IsIdle)
            {
                _idleInReceive = true;
                await ReceiveAsync(Memory<byte>.Empty, receiveWake.Token).ConfigureAwait(false);
                _idleInReceive = false;
            }

            return await ReceiveAsync(Machine.GetReceiveMemory(), receiveWake.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (receiveWake.IsCancellationRequested)
        {
            _idleInReceive = false;
            return null;
        }
        finally
        {
            Interlocked.Exchange(ref _receiveParked, 0);
        }
    }

    /// <summary>From the socket, or through TLS once the handshake is done.</summary>
    private ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _tls is { } stream ? stream.ReadAsync(buffer, cancellationToken) : socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    /// <summary>To the socket (possibly in part), or through TLS (always whole: the stream writes every record before it completes).</summary>
    private ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer)
    {
        if (_tls is not { } stream)
        {
            return socket.SendAsync(buffer, SocketFlags.None);
        }

        var write = stream.WriteAsync(buffer);
        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            return new ValueTask<int>(buffer.Length);
        }

        return WrittenAsync(write, buffer.Length);
    }

    /// <summary>Called by the offload gate, on any thread, under its lock: completes the wait, if the loop still waits.</summary>
    bool IOffloadSlotWaiter.OnSlotMayBeFree()
    {
        if (Interlocked.CompareExchange(ref _waitingForSlot, 0, 1) != 1)
        {
            return false;
        }

        _signal.Set(LoopSignal.SlotFreed);
        return true;
    }

    private void Received(int count, PluginGeneration generation)
    {
        if (count == 0)
        {
            Machine.OnEndOfInput(generation, Environment.TickCount64);
        }
        else
        {
            Machine.OnReceived(count, generation, Environment.TickCount64);
        }
    }

    /// <summary>
    /// Sends a FIN and ends a pending receive or send, leaving the loop to close the socket: disposing it under
    /// a pending operation makes the close abortive (an RST), which can destroy answers the peer has not read yet.
    /// </summary>
    private bool TryShutdown()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
            return true;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Closes the socket: after lingering (see <see cref="LingeringClose"/>) when the host chose the close.</summary>
    private async Task CloseAsync()
    {
        if (LingeringClose.Applies(Machine.CloseReason))
        {
            try
            {
                await SendCloseNotifyAsync().ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Send);
                _lingering = true;
                await DiscardInputAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // Reset, cut by a stop, or out of time: nothing left to wait for.
            }
        }

        _tls?.Dispose();
        socket.Dispose();
        lifecycle.Closed(Machine);
    }

    /// <summary>Reads and drops what the peer still sends until it closes, within the lingering budget.</summary>
    private async Task DiscardInputAsync()
    {
        using var timeout = new CancellationTokenSource(LingeringClose.TimeoutMs);
        var discarded = 0;
        while (discarded <= LingeringClose.MaxDiscardBytes)
        {
            var received = await socket.ReceiveAsync(s_discard, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            if (received == 0)
            {
                return;
            }

            discarded += received;
        }
    }
}
