namespace PluggableNet.Bench.Driver;

/// <summary>
/// One server in one scenario, over all rounds: medians of the per-round figures and medians of the
/// per-round ratios to the C and Kestrel baselines (ratios are taken within a round, then the median).
/// </summary>
internal sealed record SummaryRow
{
    public required string Server { get; init; }

    public required string Scenario { get; init; }

    public required int Rounds { get; init; }

    public double? RequestsPerSecond { get; init; }

    public double? P50Us { get; init; }

    public double? P99Us { get; init; }

    public double? P999Us { get; init; }

    public double? CpuSecondsPer100K { get; init; }

    /// <summary>Load generator CPU seconds per 100,000 requests.</summary>
    public double? ClientCpuSecondsPer100K { get; init; }

    /// <summary>Median reactors active at the end of the window (PluggableNet epoll).</summary>
    public double? ActiveReactors { get; init; }

    /// <summary>requests/s relative to the C server in the same round (higher is better).</summary>
    public double? RequestsPerSecondRatioC { get; init; }

    /// <summary>p99 relative to the C server in the same round (lower is better).</summary>
    public double? P99RatioC { get; init; }

    /// <summary>CPU per request relative to the C server in the same round (lower is better).</summary>
    public double? CpuRatioC { get; init; }

    public double? AllocatedBytesPerRequest { get; init; }

    public double? IdleRssBytesPerConnection { get; init; }

    /// <summary>requests/s relative to Kestrel in the same round (higher is better).</summary>
    public double? RequestsPerSecondRatio { get; init; }

    /// <summary>p99 relative to Kestrel in the same round (lower is better).</summary>
    public double? P99Ratio { get; init; }

    /// <summary>CPU per request relative to Kestrel in the same round (lower is better).</summary>
    public double? CpuRatio { get; init; }

    /// <summary>Allocations per request relative to Kestrel in the same round (lower is better).</summary>
    public double? AllocatedRatio { get; init; }

    /// <summary>Idle scenario only: requests/s with the idle connections held, relative to the plain pingpong run.</summary>
    public double? ActiveWithIdleRatio { get; init; }

    /// <summary>Idle scenario only: p99 with the idle connections held, relative to the plain pingpong run.</summary>
    public double? ActiveWithIdleP99Ratio { get; init; }

    public required long Errors { get; init; }
}
