namespace PluggableNet.Bench.Driver.Fanout;

/// <summary>
/// One server in one phase over every round: medians, and ratios to the C server taken within each round (so a slow
/// drift of the shared machine cancels) and then their median.
/// </summary>
internal sealed record FanoutSummaryRow
{
    /// <summary>Deliveries per second at least this × the C server's (issue 21).</summary>
    public const double TargetRatio = 0.9;

    public required string Phase { get; init; }

    public required string Server { get; init; }

    /// <summary>Rounds that delivered every message; the medians are over these.</summary>
    public int Rounds { get; init; }

    /// <summary>Rounds run.</summary>
    public int RoundsRun { get; init; }

    public double? DeliveriesPerSecond { get; init; }

    /// <summary>Median of the per-round deliveries/s ÷ C's (higher is better); null for C itself.</summary>
    public double? DeliveriesRatioToC { get; init; }

    public double? LastMessageMs { get; init; }

    /// <summary>Median of the per-round last-message time ÷ C's (lower is better); null for C itself.</summary>
    public double? LastMessageRatioToC { get; init; }

    public double? FanoutP50Ms { get; init; }

    public double? ServerCpuUsPerDelivery { get; init; }

    /// <summary>Median of the per-round server CPU per delivery ÷ C's (lower is better): steadier than rates on shared cores.</summary>
    public double? ServerCpuRatioToC { get; init; }

    public double? ServerCores { get; init; }

    public double? ClientCores { get; init; }

    public double? AllocatedBytesPerDelivery { get; init; }

    /// <summary>The highest round's figure, so one bad round is not hidden by the median.</summary>
    public double? MaxAllocatedBytesPerDelivery { get; init; }

    public double? AllocatedBytesPerMessage { get; init; }

    /// <summary>Bytes the host allocated in the phase.</summary>
    public double? AllocatedBytes { get; init; }

    /// <summary>Bytes the host allocated in the idle window: the noise floor.</summary>
    public double? IdleAllocatedBytes { get; init; }

    public bool IsBaseline => Server == FanoutServers.CName;

    /// <summary>Null for the baseline or without a ratio.</summary>
    public bool? MeetsTarget => IsBaseline || DeliveriesRatioToC is not { } r ? null : r >= TargetRatio;
}
