namespace PluggableNet.Bench.Driver.Fanout;

/// <summary>Settings of the <c>fanout</c> benchmark (issue 21, "Measured": one message broadcast to 10,000 connections).</summary>
internal sealed record FanoutOptions
{
    /// <summary>Receiving connections (the sender is one more).</summary>
    public int Connections { get; init; } = 10_000;

    /// <summary>Broadcasts per measured phase.</summary>
    public int Messages { get; init; } = 200;

    /// <summary>Bytes of each broadcast frame's payload (the request is <c>!</c> and these bytes).</summary>
    public int PayloadBytes { get; init; } = 32;

    /// <summary>Broadcasts sent one at a time before the first measured phase, not measured.</summary>
    public int WarmupMessages { get; init; } = 20;

    public int Rounds { get; init; } = 3;

    /// <summary>In round order (odd rounds; even rounds reversed): <c>c</c>, <c>epoll</c>, <c>sockets</c>, <c>epoll-rN</c>.</summary>
    public IReadOnlyList<string> Servers { get; init; } = ["c", "epoll", "sockets"];

    /// <summary>Measured phases: <c>paced</c> (one message at a time) and/or <c>burst</c> (all in one send).</summary>
    public IReadOnlyList<string> Phases { get; init; } = ["paced", "burst"];

    /// <summary>Seconds with every connection open and nothing sent, before the phases: the host's background allocation.</summary>
    public double IdleSeconds { get; init; } = 1;

    /// <summary>Reader threads of the load generator.</summary>
    public int ClientThreads { get; init; } = 1;

    /// <summary>Registration and each phase must finish within this.</summary>
    public TimeSpan PhaseTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public required string OutputDirectory { get; init; }

    public required string HostDll { get; init; }

    /// <summary>Another build's host, served as <c>base-epoll</c>: before/after ratios in one run; null if not given.</summary>
    public string? BaseHostDll { get; init; }

    public string CommandLine { get; init; } = string.Empty;

    public bool Smoke { get; init; }

    /// <summary>Names <see cref="FanoutServers.Resolve"/> knows.</summary>
    public const string KnownServers = "c (bench/Baselines/C/broadcast.c), epoll, sockets, epoll-rN (N fixed reactors), base-epoll (--base-host-dll on epoll)";
}
