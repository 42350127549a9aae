namespace PluggableNet.Server.Connections;

/// <summary>
/// The per-connection limits the state machine enforces, resolved to milliseconds and bytes. Built from the
/// host's settings (<c>ServerSettings.ToLimits</c>), which own the defaults; a timeout of 0 is off.
/// </summary>
internal sealed record ConnectionLimits
{
    public required int MaxPendingWriteBytes { get; init; }

    public required long ReadTimeoutMs { get; init; }

    /// <summary>Bytes per second a frame's payload must average once its header is known; 0 = off (the read timeout covers the frame).</summary>
    public required int MinReceiveBytesPerSecond { get; init; }

    /// <summary>How long from a frame's first byte before <see cref="MinReceiveBytesPerSecond"/> is judged.</summary>
    public required long MinReceiveRateGraceMs { get; init; }

    public required long WriteTimeoutMs { get; init; }

    public required long IdleTimeoutMs { get; init; }

    public required long ProcessTimeoutMs { get; init; }

    public required PluginFaultAction PluginFaultAction { get; init; }

    /// <summary>Whether each connection starts with a PROXY protocol header (<c>Server:ProxyProtocol</c>).</summary>
    public bool ProxyProtocol { get; init; }

    /// <summary>Who may send that header (<c>Server:TrustedProxies</c>).</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>Whether a client may open with the v2 preface (<c>Framing:AllowV2</c>).</summary>
    public bool AllowV2 { get; init; } = true;

    /// <summary>v2: requests one connection may have in flight; one more is answered ERROR OVERLOADED.</summary>
    public int MaxConcurrentRequests { get; init; } = 100;

    /// <summary>v2: silence after which the host sends PING; 0 = never.</summary>
    public long PingIntervalMs { get; init; }

    /// <summary>v2: how long the host waits for the PONG before closing the connection as half-open; 0 = forever.</summary>
    public long PingTimeoutMs { get; init; }

    /// <summary>Connections one client address (IPv4, or IPv6 /64) may hold (<c>Limits:MaxConnectionsPerAddress</c>); 0 = no cap.</summary>
    public int MaxConnectionsPerAddress { get; init; }

    /// <summary>Connections one client address may open per second, on average (<c>Limits:AcceptRatePerAddress</c>); 0 = no rate.</summary>
    public int AcceptRatePerAddress { get; init; }

    /// <summary>How many one address may open at once before the rate applies (<c>Limits:AcceptBurstPerAddress</c>).</summary>
    public int AcceptBurstPerAddress { get; init; } = 1;

    /// <summary>Addresses the per-address table holds at most (<see cref="AddressTable.CapacityFor"/>).</summary>
    public int AddressTableCapacity { get; init; } = 1024;

    /// <summary>Bytes of a fresh receive buffer; it doubles as a larger frame's bytes arrive, up to that frame's size.</summary>
    public int ReceiveBufferBytes { get; init; } = 16 * 1024;

    /// <summary>
    /// How often transports check timeouts: a quarter of the shortest one, between 10 ms and 1 s, so a limit
    /// fires at most 25% late without a timer per connection.
    /// </summary>
    public long ScanIntervalMs
    {
        get
        {
            var smallest = new[] { ReadTimeoutMs, WriteTimeoutMs, IdleTimeoutMs, ProcessTimeoutMs, PingIntervalMs, PingTimeoutMs }.Where(t => t > 0).DefaultIfEmpty(4000).Min();
            return Math.Clamp(smallest / 4, 10, 1000);
        }
    }
}
