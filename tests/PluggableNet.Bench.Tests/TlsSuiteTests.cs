using System.Text.Json;
using PluggableNet.Bench.Driver;
using PluggableNet.Bench.Driver.Tls;

namespace PluggableNet.Bench.Tests;

/// <summary>The driver's <c>tls</c> mode: the host and Kestrel, both with TLS, through the C/OpenSSL load generator.</summary>
public sealed class TlsSuiteTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"pn-bench-tls-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [Fact]
    public async Task Smoke_BothServersAnswerEveryScenarioOverTls()
    {
        // Needs the host built, and OpenSSL's headers to build tlsload.c (libssl-dev).
        if (TestPaths.HostDll is not { } host || !File.Exists("/usr/include/openssl/ssl.h"))
        {
            return;
        }

        using var log = new StringWriter();
        var exitCode = await DriverApp.RunAsync(["tls", "--smoke", "--out", _output, "--host-dll", host, "--kestrel-dll", TestPaths.KestrelBaselineDll], log).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.True(exitCode == 0, log.ToString());
        var markdown = await File.ReadAllTextAsync(Path.Combine(_output, "results.md"));
        foreach (var scenario in new[] { "pingpong", "pipelined", "handshakes" })
        {
            Assert.Contains($"## {scenario}:", markdown, StringComparison.Ordinal);
        }

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output, "results.json")));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(6, runs.Count);
        Assert.All(runs, run => Assert.True(run.GetProperty("load").GetProperty("requests").GetInt64() > 0, run.ToString()));
        Assert.All(runs, run => Assert.Equal(0, run.GetProperty("load").GetProperty("wrongAnswers").GetInt64()));
    }

    [Fact]
    public async Task AnUnknownServerIsABadOption()
    {
        using var log = new StringWriter();

        var exitCode = await DriverApp.RunAsync(["tls", "--servers", "nginx", "--out", _output], log).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, exitCode);
        Assert.False(Directory.Exists(_output));
    }

    [Fact]
    public void RatiosAreMediansOfPerRoundRatios()
    {
        static TlsRun Run(string server, int round, double rate) => new("pingpong", server, round, FakeLoad.At(rate), null, null);
        TlsRun[] runs = [Run("pnet", 1, 110), Run("kestrel", 1, 100), Run("pnet", 2, 90), Run("kestrel", 2, 100), Run("pnet", 3, 240), Run("kestrel", 3, 200)];

        var rows = TlsReport.Summary([TlsScenario.Get("pingpong", smoke: false)], runs, ["pnet", "kestrel"]);

        Assert.Equal(1.1, rows[0].RateRatio!.Value, precision: 6);
        Assert.Equal("1.10, 0.90, 1.20", rows[0].RateRatios);
        Assert.Equal(1.0, rows[1].RateRatio!.Value, precision: 6);
    }
}
