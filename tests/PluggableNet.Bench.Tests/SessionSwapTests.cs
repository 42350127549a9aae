using System.Diagnostics;
using System.Text.Json;
using PluggableNet.Bench.Driver;
using PluggableNet.Bench.Driver.SessionSwap;

namespace PluggableNet.Bench.Tests;

/// <summary>
/// The session-swap benchmark (issue 21): the driver's <c>session-swap</c> command runs end to end against the real
/// host on both transports (sessions opened, swaps by SIGHUP that each migrate, the checks after them); the host's
/// swap log line is read as it is printed; probe requests are judged by the swap window they overlap.
/// </summary>
public sealed class SessionSwapTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"pn-session-swap-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [HostBuiltFact]
    public async Task SessionSwapCommand_SwapsTwiceOnBothTransportsWithEverySessionKept()
    {
        using var log = new StringWriter();
        var exitCode = await DriverApp.RunAsync(
            ["session-swap", "--smoke", "--sessions", "200", "--swaps", "2", "--gap", "0.3", "--aftermath", "0.3", "--out", _output, "--host-dll", TestPaths.HostDll!],
            log).WaitAsync(TimeSpan.FromSeconds(180));

        Assert.True(exitCode == 0, log.ToString());
        var readme = await File.ReadAllTextAsync(Path.Combine(_output, "README.md"));
        Assert.Contains("## Medians over rounds", readme, StringComparison.Ordinal);
        Assert.Contains("## Every swap", readme, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output, "results.json")));
        Assert.True(json.RootElement.GetProperty("succeeded").GetBoolean());
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["epoll", "sockets"], runs.Select(r => r.GetProperty("server").GetString()).Order());
        Assert.All(runs, run =>
        {
            Assert.Equal(200, run.GetProperty("sessions").GetInt32());
            Assert.Equal(2, run.GetProperty("migrationsAfter").GetInt64());
            Assert.Equal(0, run.GetProperty("rolledBackAfter").GetInt64());
            Assert.Equal(200 + 8 + 1, run.GetProperty("activeSessionsAfter").GetInt64());
            Assert.Equal(run.GetProperty("roomsChecked").GetInt32(), run.GetProperty("roomsIntact").GetInt32());
            Assert.Equal(50, run.GetProperty("membershipsIntact").GetInt32());
            Assert.True(run.GetProperty("probeMedianMs").GetDouble() > 0, run.ToString());
            var swaps = run.GetProperty("swaps").EnumerateArray().ToList();
            Assert.Equal(2, swaps.Count);
            Assert.All(swaps, swap =>
            {
                Assert.True(swap.GetProperty("migrated").GetBoolean(), swap.ToString());
                Assert.True(swap.GetProperty("pauseMs").GetDouble() > 0, swap.ToString());
                Assert.True(swap.GetProperty("swapMs").GetDouble() >= swap.GetProperty("loadMs").GetDouble(), swap.ToString());
                Assert.True(swap.GetProperty("worstLatencyMs").GetDouble() > 0 && swap.GetProperty("requestsDuring").GetInt32() > 0, swap.ToString());

                // The old generation was collected after the swap, and the probes were timed through that too.
                Assert.True(swap.GetProperty("collected").GetBoolean(), swap.ToString());
                Assert.True(swap.GetProperty("worstAfterMs").GetDouble() > 0, swap.ToString());
                Assert.True(swap.GetProperty("longestWaitMs").GetDouble() >= swap.GetProperty("worstLatencyMs").GetDouble(), swap.ToString());
            });
        });
    }

    [Theory]
    [InlineData("[02:47:32 INF] Swapped plugin Chat 1.0.0 (generation 1) → Chat 1.0.0 (generation 2), trigger signal, in 235.7 ms (load 135.7 ms, drain 100.0 ms)")]
    [InlineData("Swapped plugin Chat 1.0.0 (generation 1) → Chat 1.0.0 (generation 2), trigger signal, in 235,7 ms (load 135,7 ms, drain 100,0 ms)")]
    public void SwapLogLine_ReadsTheHostsLine(string line)
    {
        var parsed = SwapLogLine.TryParse(line);

        Assert.Equal(new SwapLogLine(2, "signal", 235.7, 135.7, 100.0), parsed);
        Assert.Null(SwapLogLine.Find([line], 3));
    }

    [Fact]
    public void ProbeLatencies_JudgeARequestByTheWindowItOverlaps()
    {
        var ms = Stopwatch.Frequency / 1000;
        var window = new SwapWindow(100 * ms, 110 * ms);
        (long, long)[] requests =
        [
            (10 * ms, 11 * ms),   // warm-up: left out
            (50 * ms, 51 * ms),   // outside, 1 ms
            (60 * ms, 62 * ms),   // outside, 2 ms
            (99 * ms, 120 * ms),  // started before the window, answered after it began: 21 ms during the swap
            (109 * ms, 112 * ms), // started inside: 3 ms during the swap
            (130 * ms, 133 * ms), // outside, 3 ms
        ];

        var latencies = new ProbeLatencies(requests, warmedUpAt: 20 * ms, [window]);

        Assert.Equal(new WindowLatency(21, 2), latencies.During(window));
        Assert.Equal(3, latencies.OutsideRequests);
        Assert.Equal(2, latencies.OutsideMedianMs);
        Assert.Equal(3, latencies.OutsideMaxMs);
    }
}
