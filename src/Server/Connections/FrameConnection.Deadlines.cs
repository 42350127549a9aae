namespace PluggableNet.Server.Connections;

/// <summary>
/// Timeouts and drain: the next limit to run out, published for the scan, and acting on its verdict.
/// </summary>
/// <remarks>
/// The sockets transport scans from its timer thread while the connection's loop moves on; the epoll reactor scans on
/// the connection's own thread. Either way the scan reads one word: after every event the connection's thread
/// computes which wait it is in and when that wait's limit runs out, and writes both in one <see cref="Volatile.Write(ref long, long)"/>
/// (<see cref="PublishDeadline"/>). A reader therefore never pairs one wait with another wait's start, whatever the
/// loop does meanwhile: the verdict is that of a state the connection really was in.
/// </remarks>
internal sealed partial class FrameConnection
{
    // The published word: bits 0-3 the close reason, 4-6 the wait, 7 set once closing, 8-63 when the limit runs out.
    private const int WaitShift = 4;
    private const long ClosingBit = 1 << 7;
    private const int DueShift = 8;
    private const long NeverDue = long.MaxValue >> DueShift;

    private long _due;

    // When the published limit started running, for the timeout log only; written just before _due.
    private long _dueSince;

    /// <summary>
    /// Whether a limit has run out (or a drain can close this connection), judged at <paramref name="now"/> from the
    /// deadline the connection last published, so a transport may call it from any thread; <see cref="CloseFor"/> acts on it.
    /// </summary>
    public CloseReason DueClose(long now)
    {
        var due = Volatile.Read(ref _due);
        if ((due & ClosingBit) != 0)
        {
            return CloseReason.None;
        }

        if (now >= due >> DueShift)
        {
            return (CloseReason)(due & 0xF);
        }

        return (ConnectionWait)((due >> WaitShift) & 0x7) == ConnectionWait.NextRequest && _context.Draining ? CloseReason.Shutdown : CloseReason.None;
    }

    /// <summary>How long the limit behind the last <see cref="DueClose"/> verdict ran, for the timeout log.</summary>
    public long Elapsed(long now) => now - Volatile.Read(ref _dueSince);

    /// <summary>Acts on a reason returned by <see cref="DueClose"/>: a drain closes gracefully, a timeout aborts.</summary>
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
        _offload is not null ? ConnectionWait.Plugin
        : _waitingForOffloadSlot ? ConnectionWait.OffloadSlot
        : _output.Length > 0 ? ConnectionWait.PeerToRead
        : _expectedFrame > 0 ? ConnectionWait.RestOfPayload
        : !_input.IsEmpty ? ConnectionWait.RestOfHeader
        : ConnectionWait.NextRequest;

    /// <summary>Publishes the next limit to run out; called on the connection's thread at the end of every event.</summary>
    private void PublishDeadline()
    {
        if (CloseReason != CloseReason.None)
        {
            Volatile.Write(ref _due, (NeverDue << DueShift) | ClosingBit);
            return;
        }

        var wait = Waiting;
        var next = _deadlines.Next(wait, _limits, _input.Length);
        Volatile.Write(ref _dueSince, next.Since);
        Volatile.Write(ref _due, (Math.Min(next.At, NeverDue) << DueShift) | ((long)wait << WaitShift) | (long)next.Reason);
    }
}
