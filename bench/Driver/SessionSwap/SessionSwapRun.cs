namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>
/// One transport in one round: a fresh host, the sessions opened, the probes started, the swaps one after another,
/// then the checks. A run that failed says why in <see cref="Failure"/>; its measurements so far are kept.
/// </summary>
internal sealed record SessionSwapRun
{
    public required int Round { get; init; }

    public required string Server { get; init; }

    /// <summary>Sessions opened (each with a nickname and a room).</summary>
    public int Sessions { get; init; }

    public int Probes { get; init; }

    /// <summary>Opening every session: connect, NICK, JOIN, both answers read.</summary>
    public double? OpenSeconds { get; init; }

    public IReadOnlyList<SwapMeasurement> Swaps { get; init; } = [];

    /// <summary>Probe requests outside every swap window (after the warm-up), and their latency.</summary>
    public int OutsideRequests { get; init; }

    public double? ProbeMedianMs { get; init; }

    public double? ProbeP99Ms { get; init; }

    public double? ProbeMaxOutsideMs { get; init; }

    /// <summary>Probe answers that were wrong, and probes whose connection failed.</summary>
    public long ProbeErrors { get; init; }

    /// <summary>Rooms whose <c>WHO</c> listed exactly the expected nicknames after the last swap, of those asked.</summary>
    public int RoomsIntact { get; init; }

    public int RoomsChecked { get; init; }

    /// <summary>Sessions asked to join their room again that answered "already in", of those asked.</summary>
    public int MembershipsIntact { get; init; }

    public int MembershipsChecked { get; init; }

    /// <summary>Status after the swaps: sessions open, state moves that succeeded and that were rolled back.</summary>
    public long? ActiveSessionsAfter { get; init; }

    public long? MigrationsAfter { get; init; }

    public long? RolledBackAfter { get; init; }

    /// <summary>The driver's own GC pauses while the probes ran (they stretch a probe's latency as a host pause would).</summary>
    public double? DriverGcPauseMs { get; init; }

    public string? Failure { get; init; }

    public bool Succeeded => Failure is null;
}
