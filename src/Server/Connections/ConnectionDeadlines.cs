namespace PluggableNet.Server.Connections;

/// <summary>
/// When each of a connection's limits started running, and which one has run out. Times are
/// <see cref="Environment.TickCount64"/> milliseconds; a limit of 0 is off.
/// </summary>
internal struct ConnectionDeadlines(long now)
{
    private long _frameStartedAt;
    private long _lastRequestAt = now;
    private long _lastWriteProgressAt = now;
    private long _offloadStartedAt;

    /// <summary>Bytes of a frame are buffered: its read limit starts now unless it already runs.</summary>
    public void FrameStarting(long now)
    {
        if (_frameStartedAt == 0)
        {
            _frameStartedAt = now;
        }
    }

    /// <summary>A complete frame was taken: no frame has started until more of one is buffered.</summary>
    public void FrameTaken(long now)
    {
        _frameStartedAt = 0;
        _lastRequestAt = now;
    }

    public void RequestAnswered(long now) => _lastRequestAt = now;

    /// <summary>A frame that is not a request (v2 control, or skipped) was taken: no frame has started, the idle time runs on.</summary>
    public void FrameSkipped() => _frameStartedAt = 0;

    /// <summary>When the last request was taken or answered: the idle timeout runs from it.</summary>
    public readonly long LastRequestAt => _lastRequestAt;

    /// <summary>Pending answers made progress, or there were none: a peer that stops reading is slow, not idle.</summary>
    public void WriteProgressed(long now) => _lastWriteProgressAt = now;

    public void OffloadStarted(long now) => _offloadStartedAt = now;

    /// <summary>
    /// For a connection leaving this process (docs/upgrade-connections.md): how long ago its frame started (-1 when none
    /// has) and how long ago its last request was; the write limit is not carried, since nothing is unsent then.
    /// </summary>
    public readonly (long FrameStartedAgo, long LastRequestAgo) Ages(long now) =>
        (_frameStartedAt == 0 ? -1 : Math.Max(0, now - _frameStartedAt), Math.Max(0, now - _lastRequestAt));

    /// <summary>The deadlines of an adopted connection, from the ages <see cref="Ages"/> gave on the old server.</summary>
    public static ConnectionDeadlines FromAges(long now, long frameStartedAgo, long lastRequestAgo) => new(now)
    {
        _frameStartedAt = frameStartedAgo < 0 ? 0 : Math.Max(1, now - frameStartedAgo),
        _lastRequestAt = now - lastRequestAgo,
    };

    /// <summary>
    /// The limit that has run out for a connection waiting for <paramref name="wait"/>, or None.
    /// <paramref name="frameBytes"/> is how much of the frame being received has arrived.
    /// </summary>
    public readonly CloseReason Expired(ConnectionWait wait, ConnectionLimits limits, long now, int frameBytes = 0) =>
        Next(wait, limits, frameBytes) is var next && now >= next.At ? next.Reason : CloseReason.None;

    /// <summary>
    /// The next limit to run out while the connection waits for <paramref name="wait"/> with <paramref name="frameBytes"/>
    /// of the frame being received buffered: why, when, and since when it runs (<see cref="Deadline.Never"/> if none).
    /// The rate limit becomes a time too: with these bytes, the moment their average rate falls below the minimum.
    /// </summary>
    public readonly Deadline Next(ConnectionWait wait, ConnectionLimits limits, int frameBytes) => wait switch
    {
        ConnectionWait.Plugin => After(limits.ProcessTimeoutMs, _offloadStartedAt, CloseReason.ProcessTimeout),
        ConnectionWait.PeerToRead => After(limits.WriteTimeoutMs, _lastWriteProgressAt, CloseReason.WriteTimeout),
        ConnectionWait.RestOfHeader when _frameStartedAt != 0 => After(limits.ReadTimeoutMs, _frameStartedAt, CloseReason.ReadTimeout),
        ConnectionWait.RestOfPayload when _frameStartedAt == 0 || frameBytes == 0 => Deadline.Never,
        ConnectionWait.RestOfPayload when limits.MinReceiveBytesPerSecond == 0 => After(limits.ReadTimeoutMs, _frameStartedAt, CloseReason.ReadTimeout),
        ConnectionWait.RestOfPayload => new Deadline(CloseReason.ReceiveTooSlow, _frameStartedAt + TooSlowAfter(limits, frameBytes), _frameStartedAt),
        ConnectionWait.NextRequest => After(limits.IdleTimeoutMs, _lastRequestAt, CloseReason.IdleTimeout),
        _ => Deadline.Never,
    };

    /// <summary>
    /// The first whole millisecond after the frame's first byte at which it is past the grace period and its
    /// <paramref name="frameBytes"/> make an average below the minimum rate (<c>frameBytes * 1000 &lt; rate * elapsed</c>).
    /// </summary>
    private static long TooSlowAfter(ConnectionLimits limits, int frameBytes) =>
        Math.Max(limits.MinReceiveRateGraceMs, frameBytes * 1000L / limits.MinReceiveBytesPerSecond) + 1;

    private static Deadline After(long limitMs, long since, CloseReason reason) =>
        limitMs > 0 ? new Deadline(reason, since + limitMs, since) : Deadline.Never;
}

/// <summary>A limit that runs out at <see cref="At"/> (closing for <see cref="Reason"/>), having run since <see cref="Since"/>.</summary>
internal readonly record struct Deadline(CloseReason Reason, long At, long Since)
{
    /// <summary>No limit runs.</summary>
    public static readonly Deadline Never = new(CloseReason.None, long.MaxValue, 0);
}
