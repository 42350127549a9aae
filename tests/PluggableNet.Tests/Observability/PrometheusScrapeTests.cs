using System.Globalization;
using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Observability;

/// <summary>
/// The real host process with <c>Telemetry:Prometheus:Endpoint</c> and <c>Health:Endpoint</c> on one free port:
/// scraped over HTTP as Prometheus does, the text format parsed, the figures compared with what was sent.
/// </summary>
public sealed partial class PrometheusScrapeTests
{
    [LinuxFact]
    public async Task TheScrapeEndpointServesTheHostAndRuntimeMetricsBesideTheHealthPaths()
    {
        var port = FreePort.Next();
        await using var host = await RunningHost.StartAsync("Epoll", [$"--Telemetry:Prometheus:Endpoint=http://127.0.0.1:{port}/metrics", $"--Health:Endpoint=http://127.0.0.1:{port}/"]);
        using (var client = host.Connect())
        {
            for (var i = 0; i < 7; i++)
            {
                Assert.Equal("CBA", await client.AskAsync("ABC"));
            }
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        IReadOnlyList<Sample> samples = [];
        await Wait.UntilAsync(
            async () =>
            {
                samples = Parse(await http.GetStringAsync("/metrics"));
                return samples.Any(s => s.Name == "pluggablenet_requests_total" && s.Value == 7)
                    && samples.Any(s => s.Name == "pluggablenet_connection_duration_seconds_count" && s.Value == 1);
            },
            TimeSpan.FromSeconds(20),
            "the scrape to show the 7 requests and the closed connection");

        var requests = Assert.Single(samples, s => s.Name == "pluggablenet_requests_total");
        Assert.Equal("Reverse", requests.Labels["pluggablenet_plugin_name"]);
        Assert.Equal(host.Port.ToString(CultureInfo.InvariantCulture), requests.Labels["server_port"]);
        Assert.Equal("tcp", requests.Labels["network_transport"]);
        // One inline request in 16 per connection is timed: the first of the 7.
        Assert.Equal(1, Assert.Single(samples, s => s.Name == "pluggablenet_request_duration_seconds_count").Value);
        Assert.Equal("remote_closed", Assert.Single(samples, s => s.Name == "pluggablenet_connection_duration_seconds_count").Labels["pluggablenet_close_reason"]);
        Assert.Equal(0, Assert.Single(samples, s => s.Name == "pluggablenet_active_connections").Value);
        Assert.Equal(7 * 8, Assert.Single(samples, s => s.Name == "pluggablenet_network_io_bytes_total" && s.Labels["network_io_direction"] == "receive").Value);
        Assert.Equal(1, Assert.Single(samples, s => s.Name == "pluggablenet_plugin_generation").Value);

        // The runtime's own meter comes along when export is on.
        Assert.Contains(samples, s => s.Name.StartsWith("dotnet_gc_", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name.StartsWith("dotnet_thread_pool_", StringComparison.Ordinal));

        // One listener serves both: the health paths answer on the same port.
        Assert.Equal("ready\n", await http.GetStringAsync("/readyz"));
        Assert.Equal("live\n", await http.GetStringAsync("/healthz"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/nothing")).StatusCode);
    }

    /// <summary>Prometheus text format 0.0.4: <c>name{label="value",…} value</c> lines; comments skipped.</summary>
    private static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            samples.Add(new Sample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return samples;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();

    private sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
}
