namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>
/// One transport over every round that succeeded: each figure is the median over rounds of the round's median over its
/// swaps (a round is one fresh host), beside the worst single swap of all rounds so one bad swap is not hidden.
/// </summary>
internal sealed record SessionSwapSummaryRow
{
    public required string Server { get; init; }

    /// <summary>Rounds that succeeded (every swap migrated, every check passed); the medians are over these.</summary>
    public int Rounds { get; init; }

    public int RoundsRun { get; init; }

    public double? Sessions { get; init; }

    /// <summary>Swaps that migrated every session's state, in the rounds that succeeded.</summary>
    public int SwapsMigrated { get; init; }

    /// <summary>Status <c>MigrationsRolledBack</c> summed over every round run.</summary>
    public long RolledBack { get; init; }

    public double? PauseMs { get; init; }

    public double? MaxPauseMs { get; init; }

    public double? SwapMs { get; init; }

    public double? MaxSwapMs { get; init; }

    public double? LoadMs { get; init; }

    /// <summary>The slowest probe request during a swap (median over swaps, then rounds).</summary>
    public double? WorstLatencyMs { get; init; }

    /// <summary>The slowest probe request during any swap of any round.</summary>
    public double? MaxWorstLatencyMs { get; init; }

    /// <summary>The slowest probe request in a swap's aftermath (the host's induced full GCs until the old generation is collected).</summary>
    public double? WorstAfterMs { get; init; }

    public double? MaxWorstAfterMs { get; init; }

    /// <summary>The longest any probe waited from a SIGHUP to its old generation collected: median over swaps, then rounds.</summary>
    public double? LongestWaitMs { get; init; }

    public double? MaxLongestWaitMs { get; init; }

    public double? ProbeMedianMs { get; init; }

    public double? ProbeP99Ms { get; init; }

    public double? ProbeMaxOutsideMs { get; init; }

    public double? OpenSeconds { get; init; }

    public double? DriverGcPauseMs { get; init; }

    public static IReadOnlyList<SessionSwapSummaryRow> Summarize(IReadOnlyList<SessionSwapRun> runs) =>
    [
        .. runs.Select(r => r.Server).Distinct().Select(server =>
        {
            var good = runs.Where(r => r.Server == server && r.Succeeded).ToList();
            var swaps = good.SelectMany(r => r.Swaps).ToList();
            double? OverRounds(Func<SwapMeasurement, double?> figure) => Median.Of(good.Select(r => Median.Of(r.Swaps.Select(figure))));
            return new SessionSwapSummaryRow
            {
                Server = server,
                Rounds = good.Count,
                RoundsRun = runs.Count(r => r.Server == server),
                Sessions = Median.Of(good.Select(r => (double?)r.Sessions)),
                SwapsMigrated = swaps.Count(s => s.Migrated),
                RolledBack = runs.Where(r => r.Server == server).Sum(r => r.RolledBackAfter ?? 0),
                PauseMs = OverRounds(s => s.PauseMs),
                MaxPauseMs = swaps.Max(s => s.PauseMs),
                SwapMs = OverRounds(s => s.SwapMs),
                MaxSwapMs = swaps.Max(s => s.SwapMs),
                LoadMs = OverRounds(s => s.LoadMs),
                WorstLatencyMs = OverRounds(s => s.WorstLatencyMs),
                MaxWorstLatencyMs = swaps.Max(s => s.WorstLatencyMs),
                WorstAfterMs = OverRounds(s => s.WorstAfterMs),
                MaxWorstAfterMs = swaps.Max(s => s.WorstAfterMs),
                LongestWaitMs = OverRounds(s => s.LongestWaitMs),
                MaxLongestWaitMs = swaps.Max(s => s.LongestWaitMs),
                ProbeMedianMs = Median.Of(good.Select(r => r.ProbeMedianMs)),
                ProbeP99Ms = Median.Of(good.Select(r => r.ProbeP99Ms)),
                ProbeMaxOutsideMs = Median.Of(good.Select(r => r.ProbeMaxOutsideMs)),
                OpenSeconds = Median.Of(good.Select(r => r.OpenSeconds)),
                DriverGcPauseMs = Median.Of(good.Select(r => r.DriverGcPauseMs)),
            };
        }),
    ];
}
