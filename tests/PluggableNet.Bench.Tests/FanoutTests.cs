using System.Globalization;
using System.Text.Json;
using PluggableNet.Bench.Driver;
using PluggableNet.Bench.Driver.Fanout;

namespace PluggableNet.Bench.Tests;

/// <summary>
/// The fan-out benchmark's pieces (issue 21): the C broadcast server delivers every message to every connection in
/// order, as the fan-out load generator checks; the load generator fails clearly against a server that does not
/// register it; the driver's <c>fanout</c> command runs end to end (the host too, once built) and takes its ratios
/// within a round.
/// </summary>
public sealed class FanoutTests : IDisposable
{
    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(60);

    private readonly string _output = Path.Combine(Path.GetTempPath(), $"pn-fanout-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [Fact]
    public async Task CBroadcast_DeliversEveryMessageToEveryConnectionInOrder()
    {
        var (server, loadgen) = CBaseline.BuildFanout();
        var port = FreePort.Next();
        await using var broadcast = ChildProcess.Start(server, [port.ToString(CultureInfo.InvariantCulture)]);
        await broadcast.WaitForOutputAsync($"listening {port}", TimeSpan.FromSeconds(10));

        await using var fanout = ChildProcess.Start(loadgen, ["-p", port.ToString(CultureInfo.InvariantCulture), "-c", "100", "-m", "20", "-w", "2", "-T", "2"]);
        var exitCode = await fanout.WaitForExitAsync(_bound);

        Assert.True(exitCode == 0, fanout.Output + fanout.Error);
        var phases = fanout.Output.Split('\n').Where(l => l.StartsWith('{')).Select(l => FanoutPhase.FromJson(l)!).ToList();
        Assert.Equal(["register", "paced", "burst"], phases.Select(p => p.Phase));
        Assert.All(phases.Skip(1), p => Assert.Equal(100 * 20, p.Deliveries));
        Assert.All(phases.Skip(1), p => Assert.True(p.DeliveriesPerSecond > 0 && p.LastMessageUs > 0 && p.WrongStreams == 0 && p.UnexpectedCloses == 0));
    }

    [Fact]
    public async Task CFanout_FailsClearlyAgainstAServerThatDoesNotAnswerOk()
    {
        // The Reverse baseline answers "?" with "?": nobody is registered, and the load generator says so.
        await using var reverse = await CBaselineProcess.StartAsync();
        await using var fanout = ChildProcess.Start(CBaseline.BuildFanout().LoadGen, ["-p", reverse.Port.ToString(CultureInfo.InvariantCulture), "-c", "10", "-m", "2"]);

        var exitCode = await fanout.WaitForExitAsync(_bound);

        Assert.Equal(1, exitCode);
        Assert.Contains("is not \"ok\"", fanout.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FanoutCommand_RunsTheCServerAndTheHostEndToEnd()
    {
        // The host joins once it is built: one fixed reactor and the sockets transport, each serving the Broadcast plugin.
        string[] servers = TestPaths.HostDll is null ? ["c"] : ["c", "epoll-r1", "sockets"];
        using var log = new StringWriter();
        var exitCode = await DriverApp.RunAsync(
            ["fanout", "--smoke", "--servers", string.Join(',', servers), "--out", _output, .. TestPaths.HostDll is { } host ? new[] { "--host-dll", host } : []],
            log).WaitAsync(TimeSpan.FromSeconds(180));

        Assert.True(exitCode == 0, log.ToString());
        var readme = await File.ReadAllTextAsync(Path.Combine(_output, "README.md"));
        Assert.Contains("## paced", readme, StringComparison.Ordinal);
        Assert.Contains("## burst", readme, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output, "results.json")));
        Assert.True(json.RootElement.GetProperty("succeeded").GetBoolean());
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(2 * servers.Length, runs.Count);
        Assert.All(runs, r => Assert.True(r.GetProperty("serverCpuSeconds").GetDouble() > 0, r.ToString()));
        Assert.All(runs.Where(r => r.GetProperty("server").GetString() != "c"), r => Assert.True(r.GetProperty("allocatedBytes").GetInt64() >= 0, r.ToString()));
    }

    [Fact]
    public void Summary_TakesEachRatioWithinItsRound()
    {
        // Round 2 ran twice as fast for both: the per-round ratios are 0.5 and 0.5, whatever the medians of the values.
        FanoutRun[] runs =
        [
            Run(1, "c", 100), Run(1, "epoll", 50),
            Run(2, "c", 200), Run(2, "epoll", 100),
            Run(3, "c", 300), Run(3, "epoll", 150),
        ];

        var rows = FanoutReport.Summarize(runs);

        var epoll = Assert.Single(rows, r => r.Server == "epoll");
        Assert.Equal(0.5, epoll.DeliveriesRatioToC);
        Assert.Equal(2.0, epoll.LastMessageRatioToC);
        Assert.False(epoll.MeetsTarget);
        Assert.Null(Assert.Single(rows, r => r.Server == "c").MeetsTarget);
    }

    private static FanoutRun Run(int round, string server, double deliveriesPerSecond) => new()
    {
        Round = round,
        Server = server,
        Phase = "paced",
        Load = new FanoutPhase { Phase = "paced", Connections = 10, Messages = 10, Deliveries = 100, DeliveriesPerSecond = deliveriesPerSecond, LastMessageUs = 1e6 / deliveriesPerSecond, Seconds = 1 },
    };
}
