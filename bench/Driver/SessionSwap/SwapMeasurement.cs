namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>One swap of one run: what the host reported and what the probes saw.</summary>
internal sealed record SwapMeasurement
{
    /// <summary>1 for the run's first swap.</summary>
    public required int Index { get; init; }

    /// <summary>The generation the swap brought in.</summary>
    public int Generation { get; init; }

    /// <summary><c>LastMigrationPauseMs</c> from status after the swap: sessions paused (gate closed) while their state moved.</summary>
    public double? PauseMs { get; init; }

    /// <summary>The swap as the host logs it, from the signal's handling to the old generation disposed.</summary>
    public double? SwapMs { get; init; }

    /// <summary>Of <see cref="SwapMs"/>: loading the new generation (sessions still served by the old one).</summary>
    public double? LoadMs { get; init; }

    /// <summary>Of <see cref="SwapMs"/>: the state move (the pause), then the old generation drained and disposed.</summary>
    public double? DrainMs { get; init; }

    /// <summary>From the SIGHUP to the driver seeing the "Swapped plugin" line: the window the probes are judged in.</summary>
    public double? WindowMs { get; init; }

    /// <summary>The slowest probe request that overlapped the window.</summary>
    public double? WorstLatencyMs { get; init; }

    /// <summary>Probe requests that overlapped the window.</summary>
    public int RequestsDuring { get; init; }

    /// <summary>
    /// From the "Swapped plugin" line to the status query that found no retired generation loaded (the first is asked
    /// after <see cref="SessionSwapOptions.AftermathSeconds"/>): the host's induced full GCs until the old generation's
    /// load context is collected fall in it.
    /// </summary>
    public double? AftermathMs { get; init; }

    /// <summary>Status showed no retired generation loaded at the aftermath's end.</summary>
    public bool Collected { get; init; }

    /// <summary>The slowest probe request that overlapped the aftermath.</summary>
    public double? WorstAfterMs { get; init; }

    /// <summary>The longest a probe waited from the SIGHUP to the end of the aftermath.</summary>
    public double? LongestWaitMs => WorstLatencyMs is null && WorstAfterMs is null ? null : Math.Max(WorstLatencyMs ?? 0, WorstAfterMs ?? 0);

    /// <summary>Status <c>Migrations</c> rose by one (every session's state moved) and <c>MigrationsRolledBack</c> did not.</summary>
    public bool Migrated { get; init; }

    public string? Failure { get; init; }
}
