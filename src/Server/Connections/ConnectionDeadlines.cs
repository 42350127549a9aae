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

    /// <summary>Pending answers made progress, or there were none: a peer that stops reading is slow, not idle.</summary>
    public void WriteProgressed(long now) => _lastWriteProgressAt = now;

    public void OffloadStarted(long now) => _offloadStartedAt = now;

    /// <summary>
    /// The limit that has run out for a connection waiting for <paramref name="wait"/>, or None.
    /// <paramref name="frameBytes"/> is how much of the frame being received has arrived.
    /// </summary>
    /// <remarks>
    /// The sockets transport asks from its timer thread while the connection's loop moves on, so the frame's start
    /// is read once, and a payload wait with nothing buffered (a frame completing under our feet) is no verdict.
    /// </remarks>
    public readonly CloseReason Expired(ConnectionWait wait, ConnectionLimits limits, long now, int frameBytes = 0)
    {
        var frameStartedAt = _frameStartedAt;
        return wait switch
        {
            ConnectionWait.Plugin => Over(limits.ProcessTimeoutMs, _offloadStartedAt, now, CloseReason.ProcessTimeout),
            ConnectionWait.PeerToRead => Over(limits.WriteTimeoutMs, _lastWriteProgressAt, now, CloseReason.WriteTimeout),
            ConnectionWait.RestOfHeader when frameStartedAt != 0 => Over(limits.ReadTimeoutMs, frameStartedAt, now, CloseReason.ReadTimeout),
            ConnectionWait.RestOfPayload when frameStartedAt == 0 || frameBytes == 0 => CloseReason.None,
            ConnectionWait.RestOfPayload when limits.MinReceiveBytesPerSecond == 0 => Over(limits.ReadTimeoutMs, frameStartedAt, now, CloseReason.ReadTimeout),
            ConnectionWait.RestOfPayload => TooSlow(limits, now - frameStartedAt, frameBytes),
            ConnectionWait.NextRequest => Over(limits.IdleTimeoutMs, _lastRequestAt, now, CloseReason.IdleTimeout),
            _ => CloseReason.None,
        };
    }

    /// <summary>How long the limit behind <paramref name="reason"/> has been running, for the log.</summary>
    public readonly long Elapsed(CloseReason reason, long now) => reason switch
    {
        CloseReason.ProcessTimeout => now - _offloadStartedAt,
        CloseReason.ReadTimeout or CloseReason.ReceiveTooSlow => now - _frameStartedAt,
        CloseReason.IdleTimeout => now - _lastRequestAt,
        CloseReason.WriteTimeout => now - _lastWriteProgressAt,
        _ => 0,
    };

    /// <summary>Past the grace period, the frame's average rate since its first byte is below the minimum.</summary>
    private static CloseReason TooSlow(ConnectionLimits limits, long elapsed, int frameBytes) =>
        elapsed > limits.MinReceiveRateGraceMs && frameBytes * 1000L < limits.MinReceiveBytesPerSecond * elapsed
            ? CloseReason.ReceiveTooSlow
            : CloseReason.None;

    private static CloseReason Over(long limitMs, long since, long now, CloseReason reason) =>
        limitMs > 0 && now - since >= limitMs ? reason : CloseReason.None;
}
