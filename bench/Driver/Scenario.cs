namespace PluggableNet.Bench.Driver;

/// <summary>
/// One load shape. <see cref="IdleConnections"/> &gt; 0 makes it the idle scenario: that many connections
/// are opened and held, RSS growth is measured, then the active load runs on top of them.
/// </summary>
internal sealed record Scenario(string Name, int Connections, int Depth, int PayloadBytes, int IdleConnections = 0)
{
    public const string PingPong = "pingpong";
    public const string Pipelined = "pipelined";
    public const string Large = "large";
    public const string Idle = "idle";

    /// <summary>All scenario names, in run order.</summary>
    public static IReadOnlyList<string> Names { get; } = [PingPong, Pipelined, Large, Idle];

    public bool IsIdle => IdleConnections > 0;

    /// <summary>The full-size scenario, or its tiny smoke-test variant.</summary>
    public static Scenario Get(string name, bool smoke) => (name, smoke) switch
    {
        (PingPong, false) => new(PingPong, 32, 1, 64),
        (Pipelined, false) => new(Pipelined, 32, 16, 64),
        (Large, false) => new(Large, 8, 1, 64 * 1024),
        (Idle, false) => new(Idle, 32, 1, 64, 10_000),
        (PingPong, true) => new(PingPong, 4, 1, 64),
        (Pipelined, true) => new(Pipelined, 4, 16, 64),
        (Large, true) => new(Large, 2, 1, 64 * 1024),
        (Idle, true) => new(Idle, 4, 1, 64, 200),
        _ => throw new ArgumentException($"Unknown scenario '{name}': use {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>Human description for the report.</summary>
    public string Describe() => IsIdle
        ? $"{IdleConnections:N0} idle conns held, then {Connections} conns x depth {Depth}, {PayloadBytes} B"
        : $"{Connections} conns x depth {Depth}, {FormatBytes(PayloadBytes)}";

    private static string FormatBytes(int bytes) => bytes >= 1024 && bytes % 1024 == 0 ? $"{bytes / 1024} KiB" : $"{bytes} B";
}
