namespace PluggableNet.Bench.Driver.Fanout;

/// <summary>
/// One phase of one server in one round: the load generator's figures and the server's own, sampled at the phase's
/// edges. A run that failed has <see cref="Load"/> null and says why in <see cref="Failure"/>.
/// </summary>
internal sealed record FanoutRun
{
    /// <summary>The load generator's window with everything open and nothing sent.</summary>
    public const string IdlePhase = "idle";

    public required int Round { get; init; }

    public required string Server { get; init; }

    public required string Phase { get; init; }

    public FanoutPhase? Load { get; init; }

    /// <summary>The server's CPU (user + system, every thread) inside the phase.</summary>
    public double? ServerCpuSeconds { get; init; }

    /// <summary>Bytes the host allocated inside the phase (its control channel's count); null for the C server.</summary>
    public long? AllocatedBytes { get; init; }

    /// <summary>
    /// What the host allocated in the idle window (every connection open, nothing sent, sampled the same way): its
    /// background and one status query, the noise floor of <see cref="AllocatedBytes"/>.
    /// </summary>
    public long? IdleAllocatedBytes { get; init; }

    /// <summary>The idle window's length.</summary>
    public double? IdleSeconds { get; init; }

    /// <summary>Connecting and registering every connection before the phases.</summary>
    public double? RegisterSeconds { get; init; }

    public string? Failure { get; init; }

    public double? DeliveriesPerSecond => Load?.DeliveriesPerSecond;

    public double? LastMessageMs => Load is { } l ? l.LastMessageUs / 1000 : null;

    public double? FanoutP50Ms => Load is { } l ? l.FanoutP50Us / 1000 : null;

    public double? AllocatedBytesPerDelivery => AllocatedBytes is { } b && Load is { Deliveries: > 0 } l ? b / l.Deliveries : null;

    /// <summary>Allocated bytes per broadcast: shows a per-message allocation the 10,000 deliveries would hide.</summary>
    public double? AllocatedBytesPerMessage => AllocatedBytes is { } b && Load is { Messages: > 0 } l ? (double)b / l.Messages : null;

    public double? ServerCpuUsPerDelivery => ServerCpuSeconds is { } s && Load is { Deliveries: > 0 } l ? s * 1e6 / l.Deliveries : null;

    /// <summary>Cores the server kept busy on average: near 1 for a saturated single thread.</summary>
    public double? ServerCores => ServerCpuSeconds is { } s && Load is { Seconds: > 0 } l ? s / l.Seconds : null;

    /// <summary>Cores the load generator kept busy on average.</summary>
    public double? ClientCores => Load is { Seconds: > 0 } l ? l.ClientCpuSeconds / l.Seconds : null;

    public bool Succeeded => Failure is null && Load is { WrongStreams: 0, UnexpectedCloses: 0 };
}
