using System.Text.Json;
using PluggableNet.Bench.Driver;
using PluggableNet.Bench.Driver.ProtocolV2;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Tests;

/// <summary>
/// The protocol-v2 suite against the real host (when it is built): head-of-line shows v1's fast answers waiting behind
/// the slow call and v2's not; the drain moves every connection to the second host with nothing processed twice; and
/// v2 inline requests allocate nothing per request in the host.
/// </summary>
[Collection(ProcessWideMeasurements.Name)]
public sealed class ProtocolV2SuiteTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"pn-v2-suite-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [Fact]
    public async Task HeadOfLineAndDrain_Smoke()
    {
        if (TestPaths.HostDll is not { } host)
        {
            return;
        }

        using var log = new StringWriter();
        var exitCode = await DriverApp.RunAsync(
            ["protocol-v2", "--smoke", "--parts", "headofline,drain", "--hol-seconds", "1", "--drain-rounds", "1", "--out", _output, "--host-dll", host],
            log).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.True(exitCode == 0, log.ToString());
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output, "results.json")));
        var hol = json.RootElement.GetProperty("headOfLine").GetProperty("summary");

        // v1 answers in order: the fast requests behind a 100 ms call wait for it. v2 lets them pass, so its tail stays
        // well below v1's (a load on the machine lengthens both tails; only v1's carries the wait).
        var v1Tail = hol.GetProperty("v1FastP99UsWithSlow").GetDouble();
        var v2Tail = hol.GetProperty("v2FastP99UsWithSlow").GetDouble();
        Assert.True(v1Tail > 50_000, log.ToString());
        Assert.True(v2Tail < v1Tail / 2, log.ToString());
        Assert.True(hol.GetProperty("slowP50UsV2").GetDouble() >= 95_000, log.ToString());

        foreach (var run in json.RootElement.GetProperty("drain").GetProperty("runs").EnumerateArray())
        {
            Assert.Equal(0, run.GetProperty("processedTwice").GetInt64());
            Assert.Equal(0, run.GetProperty("errors").GetInt64());
            Assert.Equal(run.GetProperty("connections").GetInt32(), run.GetProperty("goAways").GetInt64());
            Assert.Equal(run.GetProperty("sent").GetInt64(), run.GetProperty("answered").GetInt64());
            Assert.True(run.GetProperty("processedOnFirstHost").GetInt64() > 0 && run.GetProperty("processed").GetInt64() > run.GetProperty("processedOnFirstHost").GetInt64(), log.ToString());
        }
    }

    [Fact]
    public async Task V2InlineRequests_AllocateNothingPerRequestInTheHost()
    {
        if (TestPaths.HostDll is not { } host)
        {
            return;
        }

        var options = new DriverOptions { OutputDirectory = _output, HostDll = host, KestrelDll = TestPaths.KestrelBaselineDll };
        using var server = await ServerProcess.StartAsync(ServerDefinition.Resolve("epoll-v2", options, "c"), Scenario.Get(Scenario.Pipelined, smoke: true), _output, TimeSpan.FromSeconds(30), CancellationToken.None);
        var sampler = new ServerSampler(server);
        var load = new LoadOptions
        {
            Port = server.Port,
            Connections = 4,
            Depth = 16,
            PayloadBytes = 64,
            Duration = TimeSpan.FromSeconds(1),
            Warmup = TimeSpan.FromSeconds(0.5),
            Protocol = WireVersion.V2,
        };

        var result = await new LoadRunner(load).RunAsync(sampler).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.Succeeded, result.ToJson());
        Assert.True(sampler.ServerRequests > 10_000, $"{sampler.ServerRequests} requests");

        // The host's whole-process count over the window: a per-request object (24 B or more) would show as ≥ 24 B per
        // request; the background (control channel, reactor scaler) is a few KB whatever the rate.
        var perRequest = sampler.AllocatedBytes!.Value / (double)sampler.ServerRequests!.Value;
        Assert.True(perRequest < 1.0, $"the host allocated {sampler.AllocatedBytes} B for {sampler.ServerRequests} v2 requests ({perRequest:F2} B/request)");
    }
}
