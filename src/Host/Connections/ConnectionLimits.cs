namespace PluggableNet.Host.Connections;

/// <summary>The per-connection limits the state machine enforces, resolved to milliseconds and bytes.</summary>
internal sealed record ConnectionLimits
{
    public int MaxPendingWriteBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>0 = off.</summary>
    public long ReadTimeoutMs { get; init; } = 30_000;

    /// <summary>0 = off.</summary>
    public long WriteTimeoutMs { get; init; } = 60_000;

    /// <summary>0 = off.</summary>
    public long IdleTimeoutMs { get; init; } = 600_000;

    /// <summary>0 = off.</summary>
    public long ProcessTimeoutMs { get; init; } = 30_000;

    public PluginFaultAction PluginFaultAction { get; init; } = PluginFaultAction.Close;

    /// <summary>Bytes of a fresh receive buffer; frames larger than this get a buffer of their own size.</summary>
    public int ReceiveBufferBytes { get; init; } = 16 * 1024;

    /// <summary>
    /// How often transports check timeouts: a quarter of the shortest one, between 10 ms and 1 s, so a limit
    /// fires at most 25% late without a timer per connection.
    /// </summary>
    public long ScanIntervalMs
    {
        get
        {
            var smallest = new[] { ReadTimeoutMs, WriteTimeoutMs, IdleTimeoutMs, ProcessTimeoutMs }.Where(t => t > 0).DefaultIfEmpty(4000).Min();
            return Math.Clamp(smallest / 4, 10, 1000);
        }
    }
}
