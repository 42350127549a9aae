using System.Runtime.CompilerServices;
using PluggableNet.Tests.HotSwap;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Observability;

/// <summary>
/// Requests per plugin version across a real hot swap (compiled plugin versions, real load contexts), and the swap
/// instruments: counts by trigger and outcome, durations by phase, retired generations back to 0.
/// </summary>
[Collection(HotSwapMeasurements.Name)]
public sealed class PluginInstrumentsTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task RequestsAreCountedPerVersionAcrossASwapNeverMixed(string transport)
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start(transport, plugins.Settings());
        using var capture = new MeterCapture(server.Server.Meter.Meter);

        // Clients keep asking while the swap happens; each answer says which version produced it.
        var answers = new Dictionary<string, int> { ["A"] = 0, ["B"] = 0 };
        using var stop = new CancellationTokenSource();
        var askers = Enumerable.Range(0, 4).Select(n => Task.Run(async () =>
        {
            using var client = server.Connect();
            var counts = new Dictionary<string, int> { ["A"] = 0, ["B"] = 0 };
            for (var i = 0; !stop.IsCancellationRequested || counts["B"] == 0; i++)
            {
                var answer = await client.AskAsync($"{n}-{i}");
                Assert.EndsWith($":{n}-{i}", answer, StringComparison.Ordinal);
                counts[answer[..1]]++;
            }

            return counts;
        })).ToArray();

        await Wait.UntilAsync(() => server.Server.Metrics.Requests > 200, because: "traffic on v1");
        plugins.WriteInPlace(HotSwapPlugins.V2);
        var swap = await server.Server.ReloadAsync("test");
        Assert.True(swap.Succeeded, swap.Error);
        // Enough on v2 that some connection passes a whole timing interval on it: v2 has a timed request too.
        var interval = PluggableNet.Server.Diagnostics.HostMeter.InlineTimingInterval;
        await Wait.UntilAsync(() => server.Server.Plugins.Current.Counters.Requests > 10 * interval, because: "traffic on v2 too");
        await stop.CancelAsync();
        foreach (var counts in await Task.WhenAll(askers))
        {
            answers["A"] += counts["A"];
            answers["B"] += counts["B"];
        }

        Assert.True(answers["A"] > 0 && answers["B"] > 0, $"A {answers["A"]}, B {answers["B"]}");
        Assert.Equal(answers["A"], capture.ObserveOne("pluggablenet.requests", ("pluggablenet.plugin.version", "1.0.0"), ("pluggablenet.plugin.name", HotSwapPlugins.Name)));
        Assert.Equal(answers["B"], capture.ObserveOne("pluggablenet.requests", ("pluggablenet.plugin.version", "2.0.0"), ("pluggablenet.plugin.name", HotSwapPlugins.Name)));
        Assert.Equal(answers["A"] + answers["B"], server.Server.Metrics.Requests);

        // The durations too, on the version that ran them, inline: one request in HostMeter.InlineTimingInterval per connection
        // is timed (the first of each interval), so the counts follow the answers of each version, never the other's.
        var durations = capture.Recorded("pluggablenet.request.duration");
        Assert.All(durations, m => Assert.Equal("inline", m.Tag("pluggablenet.plugin.execution")));
        Assert.All(durations, m => Assert.InRange(m.Value, 0, 10));
        var total = answers["A"] + answers["B"];
        Assert.InRange(durations.Count, (total / interval) - askers.Length, (total / interval) + askers.Length);
        Assert.InRange(durations.Count(m => Equals(m.Tag("pluggablenet.plugin.version"), "1.0.0")), 1, (answers["A"] / interval) + askers.Length);
        Assert.InRange(durations.Count(m => Equals(m.Tag("pluggablenet.plugin.version"), "2.0.0")), 1, (answers["B"] / interval) + askers.Length);

        Assert.Equal(2, capture.ObserveOne("pluggablenet.plugin.generation", ("pluggablenet.plugin.version", "2.0.0")));
        var status = server.Server.Status();
        Assert.Equal(answers["A"], status.RequestsByVersion[$"{HotSwapPlugins.Name} 1.0.0"]);
        Assert.Equal(answers["B"], status.RequestsByVersion[$"{HotSwapPlugins.Name} 2.0.0"]);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task SwapsAreCountedByTriggerAndOutcomeAndTimedByPhase(string transport)
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start(transport, plugins.Settings());
        using var capture = new MeterCapture(server.Server.Meter.Meter);
        using var client = server.Connect();
        Assert.Equal("A:1", await client.AskAsync("1"));

        plugins.WriteInPlace(HotSwapPlugins.V2);
        Assert.True((await server.Server.ReloadAsync("signal")).Succeeded);
        Assert.Equal("B:2", await client.AskAsync("2"));
        plugins.WriteInPlace(HotSwapPlugins.Garbage());
        Assert.False((await server.Server.ReloadAsync("file")).Succeeded);
        Assert.Equal("B:3", await client.AskAsync("3"));

        var swaps = capture.Recorded("pluggablenet.swaps");
        Assert.Equal(2, swaps.Count);
        Assert.Single(swaps, m => Equals(m.Tag("pluggablenet.swap.trigger"), "signal") && Equals(m.Tag("pluggablenet.swap.outcome"), "success"));
        Assert.Single(swaps, m => Equals(m.Tag("pluggablenet.swap.trigger"), "file") && Equals(m.Tag("pluggablenet.swap.outcome"), "failure"));

        var phases = capture.Recorded("pluggablenet.swap.duration");
        var succeeded = phases.Where(m => Equals(m.Tag("pluggablenet.swap.outcome"), "success")).ToDictionary(m => (string)m.Tag("pluggablenet.swap.phase")!, m => m.Value);
        Assert.Equal(["drain", "load", "total"], succeeded.Keys.Order());
        Assert.True(succeeded["load"] > 0 && succeeded["load"] <= succeeded["total"], string.Join(", ", succeeded));
        Assert.InRange(succeeded["load"] + succeeded["drain"], succeeded["total"] * 0.99, succeeded["total"] * 1.01);
        Assert.Single(phases, m => Equals(m.Tag("pluggablenet.swap.outcome"), "failure") && Equals(m.Tag("pluggablenet.swap.phase"), "total"));

        var status = server.Server.Status();
        Assert.Equal(1, status.FailedSwaps);
        Assert.NotNull(status.LastSwapError);
    }

    [Fact]
    public async Task RetiredGenerationsGaugeFallsBackToZeroOnceTheOldCodeIsCollected()
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start("Sockets", plugins.Settings());
        using var capture = new MeterCapture(server.Server.Meter.Meter);
        await AskOnceAsync(server, "A:x");

        plugins.WriteInPlace(HotSwapPlugins.V2);
        Assert.True((await server.Server.ReloadAsync("test")).Succeeded);
        Assert.Equal(1, capture.ObserveOne("pluggablenet.plugin.retired_generations"));
        Assert.Equal(1, server.Server.Status().RetiredGenerationsLoaded);

        await Wait.UntilAsync(
            () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return capture.ObserveOne("pluggablenet.plugin.retired_generations") == 0;
            },
            TimeSpan.FromSeconds(20),
            "the retired generation to be collected");
        Assert.Equal(0, server.Server.Status().RetiredGenerationsLoaded);
    }

    // Not inlined, so no client or answer of the old version lingers on this frame while the test waits for collection.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task AskOnceAsync(TestServer server, string expected)
    {
        using var client = server.Connect();
        Assert.Equal(expected, await client.AskAsync("x"));
    }
}
