using System.Text.Json;
using PluggableNet.Bench.Driver;

namespace PluggableNet.Bench.Tests;

public sealed class DriverSmokeTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"pn-bench-smoke-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [Fact]
    public async Task Smoke_WritesMarkdownJsonAndChart()
    {
        // The lead's host joins the run only once it is built; the Kestrel baseline always runs.
        var servers = TestPaths.HostDll is null ? "kestrel,c" : "epoll,kestrel,c";
        string[] args =
        [
            "--smoke", "--servers", servers, "--scenarios", "pingpong,idle", "--duration", "0.5", "--warmup", "0.25",
            "--out", _output, "--kestrel-dll", TestPaths.KestrelBaselineDll,
            .. TestPaths.HostDll is { } host ? new[] { "--host-dll", host } : [],
        ];

        using var log = new StringWriter();
        // Every run starts its server afresh (the scenario decides plugin, framing, pinning): generous on a loaded machine.
        var exitCode = await DriverApp.RunAsync(args, log).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.True(exitCode == 0, log.ToString());
        var markdown = await File.ReadAllTextAsync(Path.Combine(_output, "results.md"));
        Assert.Contains("| pingpong | kestrel |", markdown, StringComparison.Ordinal);
        Assert.Contains("## Idle connections", markdown, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output, "results.json")));
        Assert.True(json.RootElement.GetProperty("succeeded").GetBoolean());
        Assert.Contains("| pingpong | c | ", markdown, StringComparison.Ordinal);
        Assert.Equal(2 * servers.Split(',').Length, json.RootElement.GetProperty("measurements").GetArrayLength());

        var chart = await File.ReadAllBytesAsync(Path.Combine(_output, "chart.png"));
        Assert.True(chart.Length > 1000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, chart[..4]);
    }

    [Fact]
    public async Task UnknownServer_IsABadOption()
    {
        using var log = new StringWriter();

        var exitCode = await DriverApp.RunAsync(["--servers", "nginx", "--out", _output], log).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, exitCode);
        Assert.False(Directory.Exists(_output));
    }
}
