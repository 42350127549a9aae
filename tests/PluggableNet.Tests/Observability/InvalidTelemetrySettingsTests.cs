using System.Net;
using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Observability;

/// <summary>Telemetry and health settings that cannot work stop the real process at start-up: exit 2, one line naming the key.</summary>
public sealed class InvalidTelemetrySettingsTests
{
    [LinuxTheory]
    [InlineData("Telemetry:Prometheus:Endpoint", "not a url")]
    [InlineData("Telemetry:Prometheus:Endpoint", "https://127.0.0.1:9464/metrics")]
    [InlineData("Health:Endpoint", "http://127.0.0.1/")]
    [InlineData("Health:Endpoint", "http://example.invalid:9465/")]
    [InlineData("Telemetry:Otlp:Endpoint", "ftp://collector:4317")]
    [InlineData("Health:DrainDelay", "soon")]
    public async Task ABadValueFailsStartUpNamingItsKey(string key, string value)
    {
        var result = await HostProcess.RunAsync(["run", "--Server:Address=127.0.0.1", "--Server:Port=0", $"--{key}={value}"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Single(Lines(result), line => line.Contains(key, StringComparison.Ordinal));
    }

    [LinuxTheory]
    [InlineData("Health:Endpoint", "/")]
    [InlineData("Telemetry:Prometheus:Endpoint", "/metrics")]
    public async Task APortInUseFailsStartUpNamingItsKey(string key, string path)
    {
        using var occupied = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupied.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupied.Listen();
        var port = ((IPEndPoint)occupied.LocalEndPoint!).Port;

        var result = await HostProcess.RunAsync(["run", "--Server:Address=127.0.0.1", "--Server:Port=0", $"--{key}=http://127.0.0.1:{port}{path}"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Cannot start:", result.All, StringComparison.Ordinal);
        var line = Assert.Single(Lines(result), l => l.Contains(key, StringComparison.Ordinal));
        Assert.Contains("in use", line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Lines(result), l => l.StartsWith("at ", StringComparison.Ordinal));
    }

    private static string[] Lines(HostResult result) => result.All.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
