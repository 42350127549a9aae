namespace PluggableNet.Server.Connections;

/// <summary>
/// Timeouts and drain: the next limit to run out, published for the scan, and acting on its verdict.
/// </summary>
/// <remarks>
/// The verdict is one word: which wait the connection is in, why and when that wait's limit runs out
/// (<see cref="ConnectionDeadlines.Next"/>). The epoll reactor scans on the connection's own thread, so it computes the
/// word when it asks. The sockets transport scans from its timer thread while the connection's loop moves on: such a
/// connection (<c>scannedFromAnotherThread</c>) computes the word after every event on its own thread and publishes it
/// with one <see cref="Volatile.Write(ref long, long)"/> (<see cref="PublishDeadline"/>), and the timer reads only that
/// word, so it never pairs one wait with another wait's start, whatever the loop does meanwhile: the verdict is that of
/// a state the connection really was in.
/// </remarks>
internal sealed partial class FrameConnection
{
    // The published word: bits 0-4 the close reason, 5-7 the wait, 8 set once closing, 9-63 when the limit runs out.
    private const int WaitShift = 5;
    private const long ClosingBit = 1 << 8;
    private const int DueShift = 9;
    private const long ReasonMask = 0x1F;
    private const long NeverDue = long.MaxValue >> DueShift;

    private readonly bool _publishesDeadline;
    private long _due;

    // When the published limit started running, for the timeout log only; written just before _due.
    private long _dueSince;

    /// <summary>
    /// Whether a limit has run out (or a drain can close this connection), judged at <paramref name="now"/>; on the
    /// connection's own thread, or on any thread if it was created <c>scannedFromAnotherThread</c> (it then reads the
    /// deadline last published). <see cref="CloseFor"/> acts on it.
    /// </summary>
    public CloseReason DueClose(long now)
    {
        var due = _publishesDeadline ? Volatile.Read(ref _due) : CurrentDue(out _);
        if ((due & ClosingBit) != 0)
        {
            return CloseReason.None;
        }

        if (now >= due >> DueShift)
        {
            return (CloseReason)(due & ReasonMask);
        }

        return (ConnectionWait)((due >> WaitShift) & 0x7) switch
        {
            ConnectionWait.NextRequest when _context.Draining => CloseReason.Shutdown,
            ConnectionWait.Multiplexed when _context.Draining => CloseReason.TimerDue,
            _ => CloseReason.None,
        };
    }

    /// <summary>How long the limit behind the last <see cref="DueClose"/> verdict ran, for the timeout log.</summary>
    public long Elapsed(long now)
    {
        if (_publishesDeadline)
        {
            return now - Volatile.Read(ref _dueSince);
        }

        CurrentDue(out var since);
        return now - since;
    }

    /// <summary>
    /// Acts on a reason returned by <see cref="DueClose"/>: a drain closes gracefully, a timeout aborts.
    /// <see cref="CloseReason.TimerDue"/> is not a close: transports give the connection a turn (<see cref="OnWake"/>) instead.
    /// </summary>
    public void CloseFor(CloseReason reason)
    {
        if (reason == CloseReason.Shutdown)
        {
            RequestGracefulClose(reason);
        }
        else if (reason != CloseReason.None)
        {
            Abort(reason);
        }
    }

    private ConnectionWait Waiting =>
        _offload is not null || IsolatedCount > 0 ? ConnectionWait.Plugin
        : _waitingForOffloadSlot ? ConnectionWait.OffloadSlot
        : _output.Length > 0 ? ConnectionWait.PeerToRead
        : _expectedFrame > 0 ? ConnectionWait.RestOfPayload
        : !_input.IsEmpty ? ConnectionWait.RestOfHeader
        : ConnectionWait.NextRequest;

    /// <summary>Publishes the next limit to run out for another thread to judge; called at the end of every event.</summary>
    private void PublishDeadline()
    {
        var due = CurrentDue(out var since);
        Volatile.Write(ref _dueSince, since);
        Volatile.Write(ref _due, due);
    }

    /// <summary>The verdict word for the state the connection is in now; on its own thread only.</summary>
    private long CurrentDue(out long since)
    {
        if (CloseReason != CloseReason.None)
        {
            since = 0;
            return (NeverDue << DueShift) | ClosingBit;
        }

        if (_protocol == WireProtocol.V2)
        {
            return CurrentDueV2(out since);
        }

        var wait = Waiting;
        var next = _deadlines.Next(wait, _limits, _input.Length);
        since = next.Since;
        return (Math.Min(next.At, NeverDue) << DueShift) | ((long)wait << WaitShift) | (long)next.Reason;
    }
}
