using System.Globalization;
using System.Net;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Upgrade;

/// <summary>
/// An upgrade of a host whose health (and Prometheus) listener is on a port the operator fixed: the old host closes it
/// at the hand-over and the new host binds the same port once told, so the upgrade succeeds and the new host answers
/// <c>/readyz</c> there once the old one is gone. The port is a free one found now, never a hard-coded one.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FixedHealthPortUpgradeTests(ITestOutputHelper output)
{
    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TheNewHostTakesAFixedHealthPortOverFromTheOldOne(string transport)
    {
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        await using var host = await UpgradedHost.StartAsync(transport, [$"--Health:Endpoint=http://127.0.0.1:{port}/", $"--Telemetry:Prometheus:Endpoint=http://127.0.0.1:{port}/metrics"]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var readyz = new Uri($"http://127.0.0.1:{port}/readyz");
        var before = await host.ServingAsync(_ => true);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(readyz)).StatusCode);
        using var client = FrameClient.Connect(host.EndPoint);
        Assert.Equal("cba", await client.AskAsync("abc"));

        var result = await host.UpgradeAsync(host.Build("build-upper", "PLUGGABLENET_Logic__Plugin=Upper"));
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        var after = await host.ServingAsync(s => s.Pid != before.Pid);

        // Once the old host is gone, whoever answers on the port is the new host.
        Assert.Equal(0, (await host.First.Process.WaitAsync(TimeSpan.FromSeconds(20))).ExitCode);
        output.WriteLine(host.First.Process.Output);
        Assert.Contains("closed the metrics/health listener on its fixed port", host.First.Process.Output, StringComparison.Ordinal);
        await Wait.UntilAsync(async () => await StatusAsync(http, readyz) == HttpStatusCode.OK, TimeSpan.FromSeconds(20), $"/readyz on port {port} to answer 200 from pid {after.Pid}");
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        Assert.Contains("pluggablenet", metrics, StringComparison.Ordinal);

        // The moved connection is answered by the new build.
        Assert.Equal("ABC", await client.AskAsync("abc"));
    }

    private static async Task<HttpStatusCode?> StatusAsync(HttpClient http, Uri uri)
    {
        try
        {
            return (await http.GetAsync(uri)).StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
