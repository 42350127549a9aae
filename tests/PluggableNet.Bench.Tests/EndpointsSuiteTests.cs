using System.Text.Json;
using PluggableNet.Bench.Driver;
using PluggableNet.Bench.Driver.Endpoints;

namespace PluggableNet.Bench.Tests;

/// <summary>The driver's <c>endpoints</c> mode: the host with two endpoints against one, each ×C in the same round.</summary>
public sealed class EndpointsSuiteTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"pn-bench-endpoints-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [Fact]
    public async Task Smoke_BothEndpointsOfTheHostAndTheCServerAnswerEveryLoadGenerator()
    {
        if (TestPaths.HostDll is not { } host)
        {
            return;
        }

        using var log = new StringWriter();
        var exitCode = await DriverApp.RunAsync(["endpoints", "--smoke", "--transports", "Epoll", "--scenarios", "pingpong", "--out", _output, "--host-dll", host], log).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.True(exitCode == 0, log.ToString());
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output, "results.json")));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["c", "c-split", "epoll-1", "epoll-1x2", "epoll-2"], runs.Select(r => r.GetProperty("variant").GetString()).Order(StringComparer.Ordinal));
        Assert.All(runs, run => Assert.Equal(0, run.GetProperty("errors").GetInt64()));
        // Each of -2's load generators is served by its own endpoint.
        var two = runs.Single(r => r.GetProperty("variant").GetString() == "epoll-2").GetProperty("perClientRequestsPerSecond").EnumerateArray().Select(e => e.GetDouble()).ToList();
        Assert.Equal(2, two.Count);
        Assert.All(two, rate => Assert.True(rate > 0));
    }

    [Fact]
    public void TwoOverOneIsTheMedianOfPerRoundRatiosAgainstOneEndpointUnderTheSameLoadGenerators()
    {
        var variants = EndpointsVariant.For(["Epoll"]);
        static EndpointsRun Run(string variant, int round, double rate, double cpu) => new(variant, "pingpong", round, rate, 100, cpu, 0, [rate]);
        List<EndpointsRun> runs =
        [
            Run("c", 1, 100, 1), Run("c-split", 1, 200, 1), Run("epoll-1", 1, 150, 1), Run("epoll-1x2", 1, 200, 1), Run("epoll-2", 1, 180, 1.1),
            Run("c", 2, 100, 1), Run("c-split", 2, 100, 1), Run("epoll-1", 2, 150, 1), Run("epoll-1x2", 2, 100, 1), Run("epoll-2", 2, 110, 1),
            Run("c", 3, 100, 1), Run("c-split", 3, 100, 1), Run("epoll-1", 3, 150, 1), Run("epoll-1x2", 3, 100, 1), Run("epoll-2", 3, 100, 1.2),
        ];

        var rows = EndpointsSuite.Summarize(variants, [Scenario.Get("pingpong", smoke: true)], runs);

        var two = rows.Single(r => r.Server == "epoll-2");
        Assert.Equal("c-split", two.Baseline);
        Assert.Equal([0.9, 1.1, 1.0], two.TwoOverOneRatios.Select(r => Math.Round(r, 2)));
        Assert.Equal(1.0, two.TwoOverOne!.Value, 3);
        Assert.Equal(1.1, two.CpuTwoOverOne!.Value, 3);
        Assert.Equal(1.5, rows.Single(r => r.Server == "epoll-1").RatioOverC!.Value, 3);
    }
}
