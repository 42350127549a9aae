namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// The receive of a connection another thread may wake (v2, or a session that may be pushed to): a zero-byte receive
/// stays pending across wakes and reports through <see cref="LoopSignal"/> that the socket is readable, so a wake
/// never cancels a receive (no exception, no new token source per push) and the loop waits for whichever comes first.
/// </summary>
internal sealed partial class SocketConnection
{
    // The pending zero-byte receive, while _readArmed: its result is read once, when the signal says it completed.
    private ValueTask<int> _readiness;
    private bool _readArmed;
    private Action? _onReadable;

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
    /// After <see cref="WaitReadableOrWake"/>: the bytes received (0 at the peer's end) once readable; false when woken
    /// or aborted instead (the top of the loop acts on it). Once readable the receive into the machine's buffer
    /// completes at once; through TLS it may wait for the rest of a record, and a wake then waits with it.
    /// </summary>
    private bool TryReceiveReadable(out ValueTask<int> receive)
    {
        _idleInReceive = false;
        if (!_signal.Take(LoopSignal.Readable) || !_readArmed)
        {
            receive = default;
            return false;
        }

        _readArmed = false;
        var readiness = _readiness;
        _readiness = default;

        // A reset or a cut surfaces here, as it would from the receive itself.
        readiness.GetAwaiter().GetResult();
        receive = ReceiveAsync(Machine.GetReceiveMemory(), CancellationToken.None);
        return true;
    }

    private void ArmReadiness()
    {
        _readArmed = true;
        _readiness = ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
        if (_readiness.IsCompleted)
        {
            _signal.Set(LoopSignal.Readable);
            return;
        }

        _onReadable ??= () => _signal.Set(LoopSignal.Readable);
        _readiness.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onReadable);
    }
}
