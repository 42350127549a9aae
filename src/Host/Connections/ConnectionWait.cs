namespace PluggableNet.Host.Connections;

/// <summary>What an open connection is waiting for, which decides the limit that applies to it.</summary>
internal enum ConnectionWait
{
    /// <summary>An offloaded request is in the plugin: <c>Limits:ProcessTimeout</c>.</summary>
    Plugin,

    /// <summary>A complete request waits for a server-side offload slot: the peer is not slow, no limit.</summary>
    OffloadSlot,

    /// <summary>Answers wait for the peer to read them: <c>Limits:WriteTimeout</c>.</summary>
    PeerToRead,

    /// <summary>A frame has started and not completed: <c>Limits:ReadTimeout</c>.</summary>
    RestOfFrame,

    /// <summary>Nothing buffered or pending: <c>Limits:IdleTimeout</c>, and a drain may close it.</summary>
    NextRequest,
}
