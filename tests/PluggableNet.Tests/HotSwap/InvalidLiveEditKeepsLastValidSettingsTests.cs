using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using PluggableNet.Tests.Infrastructure;
using Serilog.Events;

namespace PluggableNet.Tests.HotSwap;

/// <summary>
/// A live configuration edit is read whole: one invalid key rejects all of it (the plugin switch in the same
/// edit included), the last valid settings keep serving, and keys that need a restart are reported as such.
/// </summary>
public sealed class InvalidLiveEditKeepsLastValidSettingsTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task OneInvalidKeyRejectsTheWholeEdit(string transport)
    {
        using var folder = new ConfigFolder();
        folder.Write("""{ "Logic": { "Plugin": "Reverse" } }""");
        using var configuration = folder.Build(transport);
        await using var server = TestServer.Start(transport, new Dictionary<string, string?>(), configuration);
        await using var reloader = ReloaderHarness.Start(server);
        using var client = server.Connect();
        Assert.Equal("cba", await client.AskAsync("abc"));

        folder.Write("""{ "Logic": { "Plugin": "Upper" }, "Limits": { "ReadTimeout": "soon" } }""");

        await server.Log.WaitForAsync("Configuration change rejected as a whole", LogEventLevel.Error);
        Assert.True(server.Log.Contains("Limits:ReadTimeout: 'soon' is not a duration", LogEventLevel.Error), string.Join(Environment.NewLine, server.Log.Messages()));
        Assert.Equal("cba", await client.AskAsync("abc"));
        Assert.Equal(("Reverse", 1), (server.Server.Status().Plugin, server.Server.Status().Generation));

        // The same switch in a valid edit goes through: the rejected one left nothing half-applied behind.
        folder.Write("""{ "Logic": { "Plugin": "Upper" }, "Limits": { "ReadTimeout": "20" } }""");
        await HotSwapWait.AnswerBecomesAsync(client, "abc", "cba", "ABC");
        Assert.True(server.Log.Contains("Limits:ReadTimeout changed to 00:00:20; it takes effect at the next restart", LogEventLevel.Warning));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task KeysThatCannotChangeLiveAreReportedAsNeedingARestart(string transport)
    {
        using var folder = new ConfigFolder();
        folder.Write("""{ "Logic": { "Plugin": "Reverse" } }""");
        using var configuration = folder.Build(transport);
        await using var server = TestServer.Start(transport, new Dictionary<string, string?>(), configuration);
        await using var reloader = ReloaderHarness.Start(server);
        using var client = server.Connect();

        folder.Write("""{ "Logic": { "Plugin": "Reverse" }, "Server": { "Backlog": 7 }, "Limits": { "MaxConnections": 3 } }""");

        await server.Log.WaitForAsync("Limits:MaxConnections changed to 3; it takes effect at the next restart", LogEventLevel.Warning);
        Assert.True(server.Log.Contains("Server:Backlog changed to 7; it takes effect at the next restart", LogEventLevel.Warning));
        Assert.Equal("cba", await client.AskAsync("abc"));
        Assert.Equal(1, server.Server.Status().Generation);
    }

    /// <summary>A temp folder with the bundled plugins and a JSON file watched like the host's <c>--config</c>.</summary>
    private sealed class ConfigFolder : IDisposable
    {
        private readonly string _directory = TestPaths.NewTempDirectory("pnet-live");

        public ConfigFolder()
        {
            foreach (var plugin in new[] { "Reverse", "Upper" })
            {
                var target = Path.Combine(_directory, "plugins", plugin);
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.BundledPlugins, plugin)))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
                }
            }
        }

        private string ConfigPath => Path.Combine(_directory, "live.json");

        /// <summary>Written whole, then renamed into place, so the provider never reloads a half-written file.</summary>
        public void Write(string json)
        {
            File.WriteAllText(ConfigPath + ".tmp", json);
            File.Move(ConfigPath + ".tmp", ConfigPath, overwrite: true);
        }

        public ConfigurationRoot Build(string transport) =>
            (ConfigurationRoot)new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Server:Address"] = "127.0.0.1",
                    ["Server:Port"] = "0",
                    ["Server:Transport"] = transport,
                    ["Server:ReactorThreads"] = "2",
                    ["Server:DrainTimeout"] = "5",
                    ["Logic:PluginsPath"] = Path.Combine(_directory, "plugins"),
                    ["Logic:HotReload"] = "false",
                })
                .AddJsonFile(new PhysicalFileProvider(_directory), "live.json", optional: false, reloadOnChange: true)
                .Build();

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}
