namespace PluggableNet.Server.Connections.Handover;

/// <summary>
/// A v2 connection's own state: request ids seen, the heartbeat, and the SETTINGS the client was sent. The adopting
/// server goes on with the ids and the heartbeat; it serves under its own limits (the client is not sent new SETTINGS:
/// docs/upgrade-connections.md says when that matters).
/// </summary>
internal sealed record V2Snapshot
{
    /// <summary>The highest REQUEST id seen: ids must keep rising across the move.</summary>
    public uint LastRequestId { get; init; }

    /// <summary>The highest REQUEST id taken: GOAWAY's lastId if the adopting server goes away.</summary>
    public uint LastAcceptedId { get; init; }

    /// <summary>How long ago bytes last arrived (silence before a PING).</summary>
    public long LastReceivedAgoMs { get; init; }

    /// <summary>How long ago our PING went out, -1 when none is unanswered (the PONG may arrive at the new server).</summary>
    public long PingSentAgoMs { get; init; } = -1;

    /// <summary>The SETTINGS the old server sent: MaxFrameBytes, MaxAnswerBytes, MaxConcurrentRequests, PingIntervalMs, PingTimeoutMs.</summary>
    public uint AdvertisedMaxFrameBytes { get; init; }

    public uint AdvertisedMaxAnswerBytes { get; init; }

    public uint AdvertisedMaxConcurrentRequests { get; init; }

    public uint AdvertisedPingIntervalMs { get; init; }

    public uint AdvertisedPingTimeoutMs { get; init; }
}
