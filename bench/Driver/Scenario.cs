namespace PluggableNet.Bench.Driver;

/// <summary>
/// One load shape. <see cref="IdleConnections"/> &gt; 0 makes it the idle scenario: that many connections are opened
/// and held, RSS growth is measured, then the active load runs on top of them. <see cref="Pinned"/> runs the server on
/// its own core apart from the client (<c>taskset</c>); <see cref="Burn"/> serves the CPU-heavy plugin;
/// <see cref="Binary"/> uses the 4-byte length framing (frames beyond the 5-digit header's 99,999 bytes).
/// </summary>
internal sealed record Scenario(string Name, int Connections, int Depth, int PayloadBytes, int IdleConnections = 0)
{
    public const string PingPong = "pingpong";
    public const string Pipelined = "pipelined";
    public const string Pinned = "pinned";
    public const string Heavy = "heavy";
    public const string Large = "large";
    public const string Huge = "huge";
    public const string Idle = "idle";

    /// <summary>All scenario names, in run order.</summary>
    public static IReadOnlyList<string> Names { get; } = [PingPong, Pipelined, Pinned, Heavy, Large, Huge, Idle];

    public bool IsIdle => IdleConnections > 0;

    public bool IsPinned { get; init; }

    public bool Burn { get; init; }

    public bool Binary { get; init; }

    /// <summary>Servers that run only in this scenario (when <c>epoll</c> runs): the heavy one compares fixed reactor counts.</summary>
    public IReadOnlyList<string> ExtraServers { get; init; } = [];

    /// <summary>Servers left out of this scenario: the Sockets transport runs only in pingpong, pipelined and idle, to keep a full run near 12 minutes.</summary>
    public IReadOnlyList<string> SkippedServers { get; init; } = [];

    /// <summary>The full-size scenario, or its tiny smoke-test variant.</summary>
    public static Scenario Get(string name, bool smoke)
    {
        var fixedCounts = Enumerable.Range(1, Math.Max(2, Environment.ProcessorCount)).Select(n => $"epoll-r{n}").ToArray();
        return (name, smoke) switch
        {
            (PingPong, false) => new(PingPong, 32, 1, 64),
            (Pipelined, false) => new(Pipelined, 32, 16, 64),
            (Pinned, false) => new(Pinned, 32, 1, 64) { IsPinned = true, SkippedServers = ["sockets"] },
            (Heavy, false) => new(Heavy, 32, 1, 64) { Burn = true, ExtraServers = fixedCounts, SkippedServers = ["sockets"] },
            (Large, false) => new(Large, 8, 1, 64 * 1024) { SkippedServers = ["sockets"] },
            (Huge, false) => new(Huge, 4, 1, 1024 * 1024) { Binary = true, SkippedServers = ["sockets"] },
            (Idle, false) => new(Idle, 32, 1, 64, 10_000),
            (PingPong, true) => new(PingPong, 4, 1, 64),
            (Pipelined, true) => new(Pipelined, 4, 16, 64),
            (Pinned, true) => new(Pinned, 4, 1, 64) { IsPinned = true, SkippedServers = ["sockets"] },
            (Heavy, true) => new(Heavy, 4, 1, 64) { Burn = true, ExtraServers = ["epoll-r1"], SkippedServers = ["sockets"] },
            (Large, true) => new(Large, 2, 1, 64 * 1024),
            (Huge, true) => new(Huge, 1, 1, 1024 * 1024) { Binary = true, SkippedServers = ["sockets"] },
            (Idle, true) => new(Idle, 4, 1, 64, 200),
            _ => throw new ArgumentException($"Unknown scenario '{name}': use {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    /// <summary>The servers this scenario runs, in order, from the ones asked for.</summary>
    public IReadOnlyList<string> ServersFrom(IReadOnlyList<string> requested)
    {
        // v2 frames carry at most the host's default MaxFrameBytes (99,999): the huge scenario is v1 only.
        var servers = requested.Where(s => !SkippedServers.Contains(s) && !(ServerDefinition.V1Counterpart(s) is not null && (Binary || PayloadBytes > 99_999))).ToList();
        var at = servers.IndexOf("epoll");
        if (at >= 0)
        {
            servers.InsertRange(at + 1, ExtraServers.Where(e => !servers.Contains(e)));
        }

        return servers;
    }

    /// <summary>Human description for the report.</summary>
    public string Describe()
    {
        var shape = IsIdle
            ? $"{IdleConnections:N0} idle conns held, then {Connections} conns x depth {Depth}, {PayloadBytes} B"
            : $"{Connections} conns x depth {Depth}, {FormatBytes(PayloadBytes)}";
        return shape
            + (Binary ? ", 4-byte length framing" : string.Empty)
            + (IsPinned ? ", server pinned to CPU 1 and client to CPU 0 (taskset)" : ", client on the same cores")
            + (Burn ? $", CPU-heavy plugin ({ServerDefinition.BurnIterations:N0} multiply-adds ≈ 20 µs per request)" : string.Empty);
    }

    private static string FormatBytes(int bytes) => bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0
        ? $"{bytes / (1024 * 1024)} MiB"
        : bytes >= 1024 && bytes % 1024 == 0 ? $"{bytes / 1024} KiB" : $"{bytes} B";
}
