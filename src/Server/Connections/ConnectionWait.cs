namespace PluggableNet.Server.Connections;

/// <summary>What an open connection is waiting for, which decides the limit that applies to it.</summary>
internal enum ConnectionWait
{
    /// <summary>An offloaded request is in the plugin: <c>Limits:ProcessTimeout</c>.</summary>
    Plugin,

    /// <summary>A complete request waits for a server-side offload slot: the peer is not slow, no limit.</summary>
    OffloadSlot,

    /// <summary>Answers wait for the peer to read them: <c>Limits:WriteTimeout</c>.</summary>
    PeerToRead,

    /// <summary>A frame has started, its header is incomplete: <c>Limits:ReadTimeout</c>.</summary>
    RestOfHeader,

    /// <summary>
    /// The header is known, the payload incomplete: <c>Limits:MinReceiveRate</c> after its grace period, or
    /// <c>Limits:ReadTimeout</c> for the whole frame when the rate is off.
    /// </summary>
    RestOfPayload,

    /// <summary>Nothing buffered or pending: <c>Limits:IdleTimeout</c>, and a drain may close it.</summary>
    NextRequest,

    /// <summary>
    /// A v2 connection that has not begun to go away: several limits at once (the earliest is published) and a drain
    /// wakes it to send GOAWAY.
    /// </summary>
    Multiplexed,
}
