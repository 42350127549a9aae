namespace PluggableNet.Bench.Driver.Endpoints;

/// <summary>
/// One server of the endpoints benchmark: the C baseline or the host, with one or two endpoints, and how many load
/// generators share the scenario's connections (each on its own endpoint when the host has two).
/// </summary>
/// <param name="Name">Report name: <c>c</c>, <c>c-split</c>, then per transport <c>epoll-1</c> (one endpoint, one load generator), <c>epoll-1x2</c> (one endpoint, two), <c>epoll-2</c> (two endpoints, one load generator each).</param>
/// <param name="Transport">The host's transport; null for the C baseline.</param>
/// <param name="Endpoints">Endpoints sections of the host (1 or 2); 1 for C.</param>
/// <param name="Clients">Load generators run at once, each with its share of the connections.</param>
internal sealed record EndpointsVariant(string Name, string? Transport, int Endpoints, int Clients)
{
    /// <summary>The C baseline, one load generator: what <c>-1</c> is divided by.</summary>
    public static readonly EndpointsVariant C = new("c", null, 1, 1);

    /// <summary>The C baseline with the load split between two load generators on its one port: what <c>-2</c> is divided by.</summary>
    public static readonly EndpointsVariant CSplit = new("c-split", null, 1, 2);

    public static IReadOnlyList<EndpointsVariant> For(IEnumerable<string> transports) =>
    [
        C,
        CSplit,
        .. transports.SelectMany(t => new[]
        {
            new EndpointsVariant($"{t.ToLowerInvariant()}-1", t, 1, 1),
            // One endpoint under the same two load generators as -2: only the number of endpoints differs between them.
            new EndpointsVariant($"{t.ToLowerInvariant()}-1x2", t, 1, 2),
            new EndpointsVariant($"{t.ToLowerInvariant()}-2", t, 2, 2),
        }),
    ];

    /// <summary>The C run a ratio of this host run is taken against: the same number of load generators.</summary>
    public EndpointsVariant Baseline => Clients == 1 ? C : CSplit;

    public bool IsHost => Transport is not null;

    /// <summary>
    /// The host's arguments: every endpoint an <c>Endpoints:&lt;Name&gt;</c> section (the one-endpoint run too, so only
    /// the count differs), all serving Reverse with the flat keys' defaults.
    /// </summary>
    public ServerDefinition Definition(string hostDll, string cServer, IReadOnlyList<int> extraPorts) => IsHost
        ? new ServerDefinition(Name, hostDll, launch =>
            [
                .. ServerDefinition.Host(Name, Transport!, hostDll).Arguments(launch),
                "--Endpoints:A:Server:Address=127.0.0.1",
                $"--Endpoints:A:Server:Port={launch.Port}",
                .. extraPorts.Take(Endpoints - 1).SelectMany((port, i) => new[] { $"--Endpoints:{(char)('B' + i)}:Server:Address=127.0.0.1", $"--Endpoints:{(char)('B' + i)}:Server:Port={port}" }),
            ])
        : ServerDefinition.C(cServer) with { Name = Name };
}
