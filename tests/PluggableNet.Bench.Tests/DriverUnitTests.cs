using PluggableNet.Bench.Driver;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Tests;

public sealed class DriverUnitTests
{
    [Fact]
    public void Median_OfOddAndEvenCounts_IgnoresMissingValues()
    {
        Assert.Equal(2, Median.Of([3, null, 1, 2]));
        Assert.Equal(2.5, Median.Of([4, 1, 3, 2]));
        Assert.Null(Median.Of([null]));
    }

    [Fact]
    public void ControlStatus_ParsesTheContractLine()
    {
        var status = ControlClient.Parse("""{"pid":42,"connections":3,"requests":1000,"allocatedBytes":123456,"plugin":"Reverse","pluginVersion":"1.0.0"}""");

        Assert.NotNull(status);
        Assert.Equal(new ControlStatus(42, 3, 1000, 123456, "Reverse", "1.0.0"), status);
        Assert.Null(ControlClient.TryQuery("/nonexistent/control.sock", TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void ProcStats_ReadsThisProcess()
    {
        Assert.True(ProcStats.CpuSeconds(Environment.ProcessId) > 0);
        Assert.True(ProcStats.ResidentBytes(Environment.ProcessId) > 1024 * 1024);
    }

    [Fact]
    public void Ratios_AreTakenWithinARound()
    {
        var options = new DriverOptions { OutputDirectory = "/tmp", HostDll = "h", KestrelDll = "k", Rounds = 2, Servers = ["epoll", "kestrel"], Scenarios = ["pingpong"] };
        Measurement M(string server, int round, double rps) => new()
        {
            Server = server,
            Scenario = "pingpong",
            Round = round,
            Load = FakeLoad.At(rps),
        };

        var session = new SessionResult(options, MachineInfo.Current(), DateTimeOffset.Now, DateTimeOffset.Now,
            [M("epoll", 1, 200), M("kestrel", 1, 100), M("epoll", 2, 300), M("kestrel", 2, 100)], []);

        var rows = ResultSummary.Build(session);
        var epoll = rows.Single(r => r.Server == "epoll");
        Assert.Equal(250, epoll.RequestsPerSecond);
        Assert.Equal(2.5, epoll.RequestsPerSecondRatio);
        Assert.Equal(1.0, rows.Single(r => r.Server == "kestrel").RequestsPerSecondRatio);
        Assert.Contains("| pingpong | epoll | 250 | n/a | 2.50× |", MarkdownReport.Render(session, rows), StringComparison.Ordinal);
    }

    [Fact]
    public void MetricsCost_ListsEveryRoundsRatioOfExporterOnOverOff()
    {
        var options = new DriverOptions { OutputDirectory = "/tmp", HostDll = "h", KestrelDll = "k", Rounds = 3, Servers = ["epoll", "epoll+metrics"], Scenarios = ["pinned"] };
        Measurement M(string server, int round, double rps, double cpu) => new()
        {
            Server = server,
            Scenario = "pinned",
            Round = round,
            Load = FakeLoad.At(rps),
            CpuSecondsPer100K = cpu,
        };

        var session = new SessionResult(options, MachineInfo.Current(), DateTimeOffset.Now, DateTimeOffset.Now,
            [M("epoll", 1, 100, 1.0), M("epoll+metrics", 1, 99, 1.0), M("epoll", 2, 100, 1.0), M("epoll+metrics", 2, 90, 1.2), M("epoll", 3, 200, 1.0), M("epoll+metrics", 3, 190, 1.1)], []);

        var report = MarkdownReport.Render(session, ResultSummary.Build(session));

        Assert.Contains("| pinned | 0.99, 0.90, 0.95 | 0.95 | 1.10 | **no** |", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Rounds_AlternateTheServersOrder()
    {
        string[] servers = ["epoll", "epoll+metrics", "c"];

        Assert.Equal(servers, BenchmarkSession.InRoundOrder(servers, 1));
        Assert.Equal(["c", "epoll+metrics", "epoll"], BenchmarkSession.InRoundOrder(servers, 2));
        Assert.Equal(servers, BenchmarkSession.InRoundOrder(servers, 3));
    }
}
