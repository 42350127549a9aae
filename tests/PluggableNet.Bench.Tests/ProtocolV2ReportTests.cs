using System.Text;
using PluggableNet.Bench.Driver;
using PluggableNet.Bench.Driver.ProtocolV2;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Tests;

public sealed class ProtocolV2ReportTests : IDisposable
{
    private readonly string _directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"pn-v2-report-{Guid.NewGuid():N}")).FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void V2Cost_IsTakenWithinARoundAgainstTheV1Counterpart()
    {
        var options = new DriverOptions { OutputDirectory = "/tmp", HostDll = "h", KestrelDll = "k", Rounds = 3, Servers = ["epoll", "epoll-v2"], Scenarios = ["pingpong"] };
        Measurement M(string server, int round, double rps, double cpu) => new()
        {
            Server = server,
            Scenario = "pingpong",
            Round = round,
            Load = FakeLoad.At(rps),
            CpuSecondsPer100K = cpu,
        };

        // Round 2 is slow for both: the ratio, not the absolute rate, is what counts.
        var session = new SessionResult(options, MachineInfo.Current(), DateTimeOffset.Now, DateTimeOffset.Now,
            [M("epoll", 1, 100, 1.0), M("epoll-v2", 1, 96, 1.04), M("epoll", 2, 50, 2.0), M("epoll-v2", 2, 45, 2.2), M("epoll", 3, 100, 1.0), M("epoll-v2", 3, 99, 1.0)], []);

        var row = Assert.Single(V2CostReport.Build(session));
        Assert.Equal(("epoll-v2", "epoll"), (row.Server, row.V1Server));
        Assert.Equal([0.96, 0.9, 0.99], row.ThroughputPerRound.Select(t => Math.Round(t, 2)));
        Assert.Equal(0.96, row.Throughput!.Value, 3);
        Assert.Equal(1.04, row.Cpu!.Value, 3);
        Assert.True(row.Met);

        var text = new StringBuilder();
        V2CostReport.Append(text, session);
        Assert.Contains("| pingpong | epoll-v2 ÷ epoll | 0.96, 0.90, 0.99 | 0.96 | 1.04 |", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void V2Servers_AreKnown_AndLeftOutWhereAFrameExceedsV2sLimit()
    {
        Assert.True(ServerDefinition.IsKnown("epoll-v2") && ServerDefinition.IsKnown("sockets-v2"));
        Assert.False(ServerDefinition.IsKnown("kestrel-v2"));
        Assert.Equal("epoll", ServerDefinition.V1Counterpart("epoll-v2"));
        Assert.Equal(["epoll", "epoll-v2"], Scenario.Get(Scenario.PingPong, smoke: false).ServersFrom(["epoll", "epoll-v2"]));
        Assert.Equal(["epoll"], Scenario.Get(Scenario.Huge, smoke: false).ServersFrom(["epoll", "epoll-v2"]));

        var options = new DriverOptions { OutputDirectory = "/tmp", HostDll = "h.dll", KestrelDll = "k" };
        Assert.Equal(WireVersion.V2, ServerDefinition.Resolve("epoll-v2", options, "c").ClientProtocol);
        Assert.Equal(WireVersion.V1, ServerDefinition.Resolve("epoll", options, "c").ClientProtocol);
    }

    [Fact]
    public void Ledgers_CountATokenProcessedOnBothHostsAsProcessedTwice()
    {
        var first = Path.Combine(_directory, "first.ledger");
        var second = Path.Combine(_directory, "second.ledger");
        File.WriteAllLines(first, ["tok:" + 1L.ToString("D28", System.Globalization.CultureInfo.InvariantCulture), "tok:" + 2L.ToString("D28", System.Globalization.CultureInfo.InvariantCulture)]);
        File.WriteAllLines(second, ["tok:" + 2L.ToString("D28", System.Globalization.CultureInfo.InvariantCulture), "tok:" + 3L.ToString("D28", System.Globalization.CultureInfo.InvariantCulture)]);

        var (perToken, lines, inFirst) = DrainRun.CountLedgers([first, second]);

        Assert.Equal((4, 2), (lines, inFirst));
        Assert.Equal([2L], perToken.Where(p => p.Value > 1).Select(p => p.Key));
        Assert.Equal(2, DrainClient.TokenOf(System.Text.Encoding.ASCII.GetString(DrainClient.Payload(2))));
    }
}
