using System.Net;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Embedding;

/// <summary>
/// The embedding sample (<c>samples/EmbeddedWebApp</c>), started as a real process: one ASP.NET Core application that
/// serves HTTP and PluggableNet's Reverse plugin over TCP, with PluggableNet's readiness among its own health checks.
/// </summary>
public sealed class EmbeddedWebAppSampleTests
{
    private static string SampleDll => Path.Combine(
        TestPaths.RepoRoot, "samples", "EmbeddedWebApp", "bin", TestPaths.Configuration, "net10.0", "PluggableNet.Samples.EmbeddedWebApp.dll");

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task OneProcessServesHttpAndTheReversePlugin(string transport)
    {
        var tcpPort = FreePort.Next();
        var httpPort = FreePort.Next();
        await using var app = ChildProcess.StartDotnet(
            SampleDll,
            [$"--PluggableNet:Server:Port={tcpPort}", $"--PluggableNet:Server:Transport={transport}", $"--Urls=http://127.0.0.1:{httpPort}", "--PluggableNet:Server:Address=127.0.0.1"],
            deadline: TimeSpan.FromMinutes(2));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(5) };

        await Wait.UntilAsync(async () => await IsReadyAsync(http), TimeSpan.FromSeconds(30), $"the sample to report ready ({app})");

        using var client = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, tcpPort));
        Assert.Equal("edcba", await client.AskAsync("abcde"));
        Assert.Equal("olleh", await client.AskAsync("hello"));
        Assert.Contains("Hello over HTTP", await http.GetStringAsync("/"), StringComparison.Ordinal);
        Assert.Contains($"transport {transport}", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInvalidKeyStopsTheApplicationAtStartNamingTheFullKey()
    {
        await using var app = ChildProcess.StartDotnet(
            SampleDll,
            ["--PluggableNet:Server:Port=70000", $"--Urls=http://127.0.0.1:{FreePort.Next()}"],
            deadline: TimeSpan.FromMinutes(2));

        var exitCode = await app.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("PluggableNet:Server:Port: '70000' is not a whole number from 0 to 65535.", app.Output + app.Error, StringComparison.Ordinal);
    }

    private static async Task<bool> IsReadyAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("/readyz");
            return response.StatusCode == HttpStatusCode.OK && await response.Content.ReadAsStringAsync() == "Healthy";
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
