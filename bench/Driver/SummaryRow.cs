namespace PluggableNet.Bench.Driver;

/// <summary>
/// One server in one scenario, over all rounds: medians of the per-round figures and medians of the
/// per-round ratios to the Kestrel baseline (ratios are taken within a round, then the median).
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
