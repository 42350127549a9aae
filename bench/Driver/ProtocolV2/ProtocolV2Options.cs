namespace PluggableNet.Bench.Driver.ProtocolV2;

/// <summary>Settings of the <c>protocol-v2</c> suite: v2 ÷ v1 throughput, head-of-line, drain.</summary>
internal sealed record ProtocolV2Options
{
    /// <summary>The throughput part's driver settings (servers, scenarios, rounds, client).</summary>
    public required DriverOptions Throughput { get; init; }

    /// <summary>Which parts run: any of throughput, headofline, drain.</summary>
    public IReadOnlyList<string> Parts { get; init; } = ["throughput", "headofline", "drain"];

    public int HeadOfLineRounds { get; init; } = 3;

    public TimeSpan HeadOfLineDuration { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan HeadOfLineWarmup { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests per second on the one connection.</summary>
    public double HeadOfLineRate { get; init; } = 2000;

    /// <summary>One request in this many is slow (100 ms): with 2,000/s and 400, one slow call every 200 ms.</summary>
    public int HeadOfLineSlowEvery { get; init; } = 400;

    public int DrainRounds { get; init; } = 3;

    public int DrainConnections { get; init; } = 8;

    public int DrainDepth { get; init; } = 16;

    public TimeSpan DrainBefore { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan DrainAfter { get; init; } = TimeSpan.FromSeconds(2);

    public bool Runs(string part) => Parts.Contains(part, StringComparer.OrdinalIgnoreCase);
}
