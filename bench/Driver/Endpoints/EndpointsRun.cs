using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Driver.Endpoints;

/// <summary>What one variant measured in one scenario and round: the load generators' sum and the server's CPU.</summary>
internal sealed record EndpointsRun(string Variant, string Scenario, int Round, double RequestsPerSecond, double P99Us, double? CpuSecondsPer100K, long Errors, IReadOnlyList<double> PerClientRequestsPerSecond);

/// <summary>Starts one variant and loads it: each load generator on its own endpoint (or all on C's one port), at once.</summary>
internal static class EndpointsLoad
{
    public static async Task<EndpointsRun> RunAsync(EndpointsVariant variant, Scenario scenario, int round, EndpointsOptions options, string cServer, CLoadClient client, string benchPlugins, CancellationToken cancellationToken)
    {
        var extraPorts = new[] { FreePort.Next() };
        using var server = await ServerProcess.StartAsync(variant.Definition(options.HostDll, cServer, extraPorts), scenario, benchPlugins, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        var ports = variant.Endpoints == 1 ? Enumerable.Repeat(server.Port, variant.Clients).ToArray() : [server.Port, .. extraPorts.Take(variant.Endpoints - 1)];
        var sampler = new ServerSampler(server);
        var runs = ports.Select((port, i) => client.RunAsync(
            new LoadOptions
            {
                Address = "127.0.0.1",
                Port = port,
                Connections = scenario.Connections / variant.Clients,
                Depth = scenario.Depth,
                PayloadBytes = scenario.PayloadBytes,
                Duration = options.Duration,
                Warmup = options.Warmup,
                Framing = FrameFormat.Default,
                Logic = ExpectedLogic.Reverse,
            },
            pinned: false,
            // The first generator's window edges sample the server; they start together and run as long.
            i == 0 ? sampler : NoObserver.Instance,
            cancellationToken)).ToList();
        var results = await Task.WhenAll(runs).ConfigureAwait(false);
        if (server.HasExited)
        {
            throw new InvalidOperationException($"{variant.Name} exited during {scenario.Name}:{Environment.NewLine}{server.RecentOutput()}");
        }

        var total = results.Sum(r => r.RequestsPerSecond);
        var requests = results.Sum(r => r.Requests);
        return new EndpointsRun(
            variant.Name,
            scenario.Name,
            round,
            total,
            results.Max(r => r.P99Us),
            sampler.CpuSeconds is { } cpu && requests > 0 ? cpu / requests * 100_000 : null,
            results.Sum(r => r.Errors),
            [.. results.Select(r => r.RequestsPerSecond)]);
    }

    private sealed class NoObserver : ILoadObserver
    {
        public static readonly NoObserver Instance = new();

        public void OnMeasurementStarting()
        {
        }

        public void OnMeasurementEnded()
        {
        }
    }
}
