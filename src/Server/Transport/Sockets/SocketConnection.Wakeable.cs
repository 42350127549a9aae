using System.Net.Sockets;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// The receive of a plain connection another thread may wake (v2, or a session that may be pushed to): a zero-byte
/// receive stays pending across wakes and reports through <see cref="LoopSignal"/> that the socket is readable, so a
/// wake never cancels a receive (no exception, no new token source per push) and the loop waits for whichever comes
/// first. Once readable, the bytes are taken with one non-blocking receive: the loop never waits anywhere a wake
/// cannot reach.
/// </summary>
/// <remarks>
/// aab1379 followed the readiness with an awaited receive that no wake could end. A zero-byte receive may complete
/// with nothing to read (seen under ChatterAcrossSwapsTests: readable, then 0 bytes available, the peer silent), and
/// that listener's loop then sat in a receive for good while its pushes queued up: the lost wake. Now a readiness with
/// nothing behind it arms the next one and waits again.
/// </remarks>
internal sealed partial class SocketConnection
{
    // The pending zero-byte receive, while _readArmed: its result is read once, when the signal says it completed.
    private ValueTask<int> _readiness;
    private bool _readArmed;
    private Action? _onReadable;

    /// <summary>A plain connection takes readable bytes without blocking; TLS reads through its stream (<see cref="ReceiveOrWakeAsync"/>).</summary>
    private bool UsesReadiness => tls is null;

    /// <summary>
    /// Until woken, aborted or readable: the zero-byte receive is armed first (once; it stays pending across wakes) and
    /// a wake set before this waits is seen, not lost. Awaited from the loop itself: an async method of its own would
    /// rent a state machine per wait, and thousands of parked connections hold thousands of them.
    /// </summary>
    private ValueTask WaitReadableOrWake()
    {
        if (!_readArmed)
        {
            ArmReadiness();
        }

        // An idle connection waits holding no receive buffer, as the plain receive does.
        _idleInReceive = Machine.IsIdle;
        return _signal.WaitAsync(LoopSignal.Woken | LoopSignal.Readable | LoopSignal.Aborted);
    }

    /// <summary>
    /// After <see cref="WaitReadableOrWake"/>: true with the bytes received (0 at the peer's end) once readable; false
    /// when woken or aborted instead, or when the readiness had nothing behind it (the top of the loop acts on it and
    /// the next wait arms a new one).
    /// </summary>
    private bool TryReceiveReadable(out int received)
    {
        _idleInReceive = false;
        received = 0;
        if (!_readArmed || !_signal.Take(LoopSignal.Readable))
        {
            return false;
        }

        _readArmed = false;
        var readiness = _readiness;
        _readiness = default;

        // A reset or a cut surfaces here, as it would from the receive itself; a detach's or a lingering abort's
        // cancellation too (the loop's catch blocks tell them apart).
        readiness.GetAwaiter().GetResult();
        received = socket.Receive(Machine.GetReceiveSpan(), SocketFlags.None, out var error);
        if (error == SocketError.Success)
        {
            return true;
        }

        if (error == SocketError.WouldBlock)
        {
            // Readable, then nothing to read: give the buffer back and wait for the next readiness or wake.
            Machine.OnNoData();
            return false;
        }

        throw new SocketException((int)error);
    }

    private void ArmReadiness()
    {
        _readArmed = true;

        // Cancellable by a detach (and by a lingering abort while idle), as the plain receive is; never by a wake.
        _readiness = socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, Volatile.Read(ref _idleReceive).Token);
        if (_readiness.IsCompleted)
        {
            _signal.Set(LoopSignal.Readable);
            return;
        }

        _onReadable ??= () => _signal.Set(LoopSignal.Readable);
        _readiness.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onReadable);
    }

    /// <summary>
    /// The detach step: a pending readiness (cancelled by the detach) must end before the socket changes hands, so
    /// nothing of this runtime's receive queue is left on it. Returns early, still armed, if the connection was aborted
    /// meanwhile (the loop then closes it).
    /// </summary>
    private async ValueTask DisarmReadinessAsync()
    {
        if (!_readArmed)
        {
            return;
        }

        await _signal.WaitAsync(LoopSignal.Readable | LoopSignal.Aborted).ConfigureAwait(false);
        if (!_signal.Take(LoopSignal.Readable))
        {
            return;
        }

        _readArmed = false;
        var readiness = _readiness;
        _readiness = default;
        try
        {
            readiness.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            RenewReceiveCancellation();
        }
    }
}
