using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using PluggableNet.Server.Hosting;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Endpoints;

/// <summary>
/// Two endpoints in one host, composed as the executable and embedders compose it (<c>AddPluggableNet</c>): Text
/// speaks 5 ASCII digits and serves Reverse, Binary speaks 4-byte big-endian lengths and serves Upper. Each is swapped
/// alone, by its own <c>Endpoints:&lt;Name&gt;:Logic:Plugin</c>, while the other's client stays connected and unchanged.
/// </summary>
public sealed class TwoEndpointsTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task EachEndpointServesItsFramingAndPluginAndSwapsAloneWhileTheOtherSeesNothing(string transport)
    {
        var directory = TestPaths.NewTempDirectory("pnet-endpoints");
        try
        {
            var plugins = Path.Combine(directory, "plugins");
            CopyDirectory(Path.Combine(TestPaths.BundledPlugins, "Reverse"), Path.Combine(plugins, "Reverse"));
            CopyDirectory(Path.Combine(TestPaths.BundledPlugins, "Upper"), Path.Combine(plugins, "Upper"));
            var configFile = Path.Combine(directory, "endpoints.json");
            WritePlugins(configFile, text: "Reverse", binary: "Upper");
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Server:Transport"] = transport,
                    ["Server:ReactorThreads"] = "2",
                    ["Server:DrainTimeout"] = "5",
                    ["Logic:PluginsPath"] = plugins,
                    ["Logic:HotReload"] = "false",
                    ["Endpoints:Text:Server:Address"] = "127.0.0.1",
                    ["Endpoints:Text:Server:Port"] = "0",
                    ["Endpoints:Binary:Server:Address"] = "127.0.0.1",
                    ["Endpoints:Binary:Server:Port"] = "0",
                    ["Endpoints:Binary:Framing:Kind"] = "UInt32BigEndian",
                    ["Endpoints:Binary:Framing:AllowV2"] = "false",
                })
                .AddJsonFile(new PhysicalFileProvider(directory), Path.GetFileName(configFile), optional: false, reloadOnChange: true)
                .Build();

            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Services.AddPluggableNet(configuration);
            using var host = builder.Build();
            await host.StartAsync();
            try
            {
                var servers = host.Services.GetRequiredService<ServerHostedService>();
                // In name order, as configuration lists sections.
                Assert.Equal(["Binary", "Text"], servers.Servers.Select(s => s.Name));
                var binary = servers.Servers[0];
                var text = servers.Servers[1];
                using var textClient = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, text.LocalEndPoint.Port), headerDigits: 5);
                using var binaryClient = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, binary.LocalEndPoint.Port), binary: true);
                Assert.Equal("cba", await textClient.AskAsync("abc"));
                Assert.Equal("ABC", await binaryClient.AskAsync("abc"));

                var status = servers.Status();
                Assert.True(status.Ready);
                // An embedder's own health checks see each endpoint too.
                var health = (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"))).Entries["pluggablenet"];
                Assert.Equal(HealthStatus.Healthy, health.Status);
                Assert.Equal(["ready", "ready"], new[] { health.Data["Binary"], health.Data["Text"] });
                Assert.Equal(["Binary", "Text"], status.Endpoints!.Select(e => e.Endpoint));
                Assert.Equal([1L, 1L], status.Endpoints!.Select(e => e.Connections));
                var measured = MeasuredEndpoints();
                Assert.Contains("Text", measured);
                Assert.Contains("Binary", measured);

                // Text alone: Reverse → Upper. Binary's client keeps its connection and its answers.
                WritePlugins(configFile, text: "Upper", binary: "Upper");
                await HotSwapAnswerAsync(textClient, "abc", "cba", "ABC");
                Assert.Equal("ABC", await binaryClient.AskAsync("abc"));
                Assert.Equal((1, 0), (binary.Plugins.Current.Number, binary.Plugins.Swaps));

                // Binary alone: Upper → Reverse. Text's client keeps its connection and its answers.
                WritePlugins(configFile, text: "Upper", binary: "Reverse");
                await HotSwapAnswerAsync(binaryClient, "abc", "ABC", "cba");
                Assert.Equal("ABC", await textClient.AskAsync("abc"));
                Assert.Equal((2, 1), (text.Plugins.Current.Number, text.Plugins.Swaps));
                Assert.Equal([1L, 1L], servers.Status().Endpoints!.Select(e => e.Connections));
            }
            finally
            {
                await host.StopAsync();
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The <c>pluggablenet.endpoint</c> tags of the PluggableNet meter's active connections now.</summary>
    private static List<string> MeasuredEndpoints()
    {
        var seen = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "PluggableNet" && instrument.Name == "pluggablenet.active_connections")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "pluggablenet.endpoint" && tag.Value is string name && !seen.Contains(name))
                {
                    seen.Add(name);
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }

    /// <summary>Asks until the answer turns from <paramref name="before"/> to <paramref name="after"/>; anything else fails.</summary>
    private static async Task HotSwapAnswerAsync(FrameClient client, string question, string before, string after)
    {
        var deadline = DateTime.UtcNow + Wait.Default;
        while (true)
        {
            var answer = await client.AskAsync(question);
            if (answer == after)
            {
                return;
            }

            Assert.Equal(before, answer);
            Assert.True(DateTime.UtcNow < deadline, $"the answer stayed {before}");
            await Task.Delay(20);
        }
    }

    private static void WritePlugins(string path, string text, string binary)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Endpoints"] = new Dictionary<string, object>
            {
                ["Text"] = new Dictionary<string, object> { ["Logic"] = new Dictionary<string, string> { ["Plugin"] = text } },
                ["Binary"] = new Dictionary<string, object> { ["Logic"] = new Dictionary<string, string> { ["Plugin"] = binary } },
            },
        });

        // Written whole, then renamed into place, so a reload never reads half a file.
        File.WriteAllText(path + ".tmp", json);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
