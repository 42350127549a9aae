using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Endpoints;

/// <summary>
/// Endpoints through the real host process, configured on its command line: each endpoint's protocol v2 policy, its
/// own readiness beside the whole host's, its line in <c>status</c>; and the flat keys alone serving as before.
/// </summary>
public sealed partial class EndpointHostProcessTests
{
    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task V2IsNegotiatedOnOneEndpointWhileTheOtherRefusesItAndEachHasItsReadinessAndStatusLine(string transport)
    {
        var folder = TestPaths.NewTempDirectory("pnet-ephost");
        var control = Path.Combine(folder, "control.sock");
        var healthPort = FreePort.Next();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{healthPort}"), Timeout = TimeSpan.FromSeconds(5) };
        await using var host = HostProcess.Start(
        [
            "run", $"--Server:Transport={transport}", "--Logic:HotReload=false", $"--Logic:PluginsPath={TestPaths.BundledPlugins}",
            $"--Control:Socket={control}", $"--Health:Endpoint=http://127.0.0.1:{healthPort}/",
            "--Endpoints:Public:Server:Address=127.0.0.1", "--Endpoints:Public:Server:Port=0", "--Endpoints:Public:Logic:Plugin=Reverse",
            "--Endpoints:Admin:Server:Address=127.0.0.1", "--Endpoints:Admin:Server:Port=0", "--Endpoints:Admin:Logic:Plugin=Upper",
            "--Endpoints:Admin:Framing:AllowV2=false",
        ]);
        try
        {
            var ports = await PortsAsync(host, 2);

            // Public speaks v2 to a client that opens with the preface; Admin takes the preface for a bad v1 header.
            using (var v2 = await V2Connection.OpenAsync(ports["Public"]))
            {
                Assert.Equal("cba", await v2.AskAsync(1, "abc"));
            }

            using (var refused = V2Connection.Connect(ports["Admin"]))
            {
                await refused.SendRawAsync(Preface.Bytes.ToArray());
                Assert.Equal(0, await refused.ReadToEndAsync());
            }

            using (var v1 = FrameClient.Connect(ports["Admin"]))
            {
                Assert.Equal("ABC", await v1.AskAsync("abc"));
                await Wait.UntilAsync(async () => (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, because: "ready once both endpoints serve");
                Assert.Equal("ready\n", await GetTextAsync(http, "/readyz/Public", HttpStatusCode.OK));
                Assert.Equal("ready\n", await GetTextAsync(http, "/readyz/admin", HttpStatusCode.OK));
                Assert.Equal("live\n", await GetTextAsync(http, "/healthz/Admin", HttpStatusCode.OK));
                Assert.Equal("[+]Admin ready\n[+]Public ready\nready\n", await GetTextAsync(http, "/readyz?verbose", HttpStatusCode.OK));
                Assert.Contains("no endpoint named Nope (endpoints: Admin, Public)", await GetTextAsync(http, "/readyz/Nope", HttpStatusCode.NotFound), StringComparison.Ordinal);

                var status = await HostProcess.RunAsync(["status", $"--Control:Socket={control}"]);
                Assert.True(status.ExitCode == 0, status.ToString());
                Assert.Matches($@"endpoint: +Admin +{Regex.Escape(ports["Admin"].ToString())} \({transport}\), AsciiDecimal 5 digits, v2 refused, plugin Upper \S+ \(generation 1\), 1 connection\(s\), ready", status.Output);
                Assert.Matches($@"endpoint: +Public +{Regex.Escape(ports["Public"].ToString())} \({transport}\), AsciiDecimal 5 digits, v2 allowed, plugin Reverse \S+ \(generation 1\), 0 connection\(s\), ready", status.Output);
            }
        }
        finally
        {
            await host.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TheFlatKeysAloneServeOneEndpointAsBefore(string transport)
    {
        var folder = TestPaths.NewTempDirectory("pnet-flat");
        var control = Path.Combine(folder, "control.sock");
        var port = FreePort.Next();
        await using var host = HostProcess.Start(
        [
            "run", "--Server:Address=127.0.0.1", $"--Server:Port={port}", "--Logic:Plugin=Upper", $"--Server:Transport={transport}",
            "--Logic:HotReload=false", $"--Control:Socket={control}",
        ]);
        try
        {
            var ports = await PortsAsync(host, 1);
            Assert.Equal(port, ports["Default"].Port);
            using (var v1 = FrameClient.Connect(ports["Default"]))
            {
                Assert.Equal("ABC", await v1.AskAsync("abc"));
            }

            using (var v2 = await V2Connection.OpenAsync(ports["Default"]))
            {
                Assert.Equal("XYZ", await v2.AskAsync(1, "xyz"));
            }

            // One endpoint: status reads as it always has, with no endpoint lines.
            var status = await HostProcess.RunAsync(["status", $"--Control:Socket={control}"]);
            Assert.True(status.ExitCode == 0, status.ToString());
            Assert.Contains($"listening:    127.0.0.1:{port} ({transport})", status.Output, StringComparison.Ordinal);
            Assert.Contains("plugin:       Upper", status.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("endpoint:", status.Output, StringComparison.Ordinal);
        }
        finally
        {
            await host.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Each endpoint's address, from its listening line ("listening on ADDR:PORT, endpoint NAME, …").</summary>
    internal static async Task<Dictionary<string, IPEndPoint>> PortsAsync(HostProcess host, int count)
    {
        Dictionary<string, IPEndPoint> found = [];
        await Wait.UntilAsync(
            () => (found = Listening().Matches(host.Output).ToDictionary(m => m.Groups["name"].Value, m => new IPEndPoint(IPAddress.Parse(m.Groups["address"].Value), int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture)))).Count >= count,
            TimeSpan.FromSeconds(30),
            $"{count} listening line(s); output: {host.Output}{host.Error}");
        return found;
    }

    private static async Task<string> GetTextAsync(HttpClient http, string path, HttpStatusCode expected)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {text}");
        return text;
    }

    [GeneratedRegex(@"PluggableNet listening on (?<address>[\d.]+):(?<port>\d+), endpoint (?<name>\w+),")]
    private static partial Regex Listening();
}
