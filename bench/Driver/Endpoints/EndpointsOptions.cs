namespace PluggableNet.Bench.Driver.Endpoints;

/// <summary>Settings of the <c>endpoints</c> benchmark.</summary>
internal sealed record EndpointsOptions
{
    public int Rounds { get; init; } = 5;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(4);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public IReadOnlyList<string> Scenarios { get; init; } = [Scenario.PingPong, Scenario.Pipelined];

    public IReadOnlyList<string> Transports { get; init; } = ["Epoll", "Sockets"];

    public required string HostDll { get; init; }

    public required string OutputDirectory { get; init; }

    public bool Smoke { get; init; }

    public string CommandLine { get; init; } = string.Empty;
}
