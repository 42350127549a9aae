namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>
/// Settings of the <c>session-swap</c> benchmark (issue 21, "Measured": a swap with 10,000 sessions holding state, how
/// long the state move takes and the longest pause any session sees).
/// </summary>
internal sealed record SessionSwapOptions
{
    /// <summary>Chat sessions opened before the swaps, each with a nickname and one room.</summary>
    public int Sessions { get; init; } = 10_000;

    /// <summary>Rooms the sessions are spread over (session i joins room <c>r(i mod Rooms)</c>).</summary>
    public int Rooms { get; init; } = 100;

    /// <summary>Swaps per run (SIGHUP: a new generation of the same plugin, every session's state moved).</summary>
    public int Swaps { get; init; } = 5;

    /// <summary>Connections sending requests back to back, each request timed.</summary>
    public int Probes { get; init; } = 8;

    /// <summary>
    /// Seconds after each swap's log line that count as its aftermath (the host's induced full GCs until the old
    /// generation is collected, at 20, 120, 320, 720 ms … after the swap); status is not asked meanwhile.
    /// </summary>
    public double AftermathSeconds { get; init; } = 1;

    /// <summary>Seconds the probes run before the first swap and after each aftermath: the latency outside swaps.</summary>
    public double GapSeconds { get; init; } = 1;

    public int Rounds { get; init; } = 3;

    /// <summary>In round order (odd rounds; even rounds reversed): <c>epoll</c>, <c>sockets</c>.</summary>
    public IReadOnlyList<string> Servers { get; init; } = ["epoll", "sockets"];

    /// <summary>Opening the sessions, and each swap, must finish within this.</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public required string OutputDirectory { get; init; }

    public required string HostDll { get; init; }

    public string CommandLine { get; init; } = string.Empty;

    public bool Smoke { get; init; }

    /// <summary>Probe requests that start in this first part of the first gap warm up and are left out of the statistics.</summary>
    public double WarmupSeconds => GapSeconds / 2;

    public const string KnownServers = "epoll, sockets";
}
