using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.HotSwap;

public sealed class ConfigurationChangeSwapsPluginTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task EditingLogicPluginInTheConfigFileSwitchesAnOpenConnectionFromReverseToUpper(string transport)
    {
        var directory = TestPaths.NewTempDirectory("pnet-config");
        try
        {
            var plugins = Path.Combine(directory, "plugins");
            CopyDirectory(Path.Combine(TestPaths.BundledPlugins, "Reverse"), Path.Combine(plugins, "Reverse"));
            CopyDirectory(Path.Combine(TestPaths.BundledPlugins, "Upper"), Path.Combine(plugins, "Upper"));
            var configFile = Path.Combine(directory, "pluggablenet.json");
            WriteConfig(configFile, plugin: "Reverse");
            using var configuration = BuildConfiguration(transport, plugins, configFile);
            await using var server = TestServer.Start(transport, new Dictionary<string, string?>(), configuration);
            await using var reloader = ReloaderHarness.Start(server);
            using var client = server.Connect();
            Assert.Equal("cba", await client.AskAsync("abc"));

            WriteConfig(configFile, plugin: "Upper");
            await HotSwapWait.AnswerBecomesAsync(client, "abc", "cba", "ABC");

            var status = server.Server.Status();
            Assert.True(
                (status.Plugin, status.Swaps, status.LastSwapTrigger) == ("Upper", 1, "config"),
                $"{status.Plugin}, {status.Swaps} swap(s), last by {status.LastSwapTrigger}; the log:{Environment.NewLine}{string.Join(Environment.NewLine, server.Log.Messages())}");

            // The watcher is retargeted just after the swap completes, so a moment after the first answer from Upper.
            await Wait.UntilAsync(() => reloader.Reloader.WatchedPlugin == "Upper", because: "the folder watcher to follow the switch to Upper");
            await server.Log.WaitForAsync("trigger config");

            // The folder watcher followed the switch: a new build in Upper's folder is swapped in.
            File.WriteAllBytes(Path.Combine(plugins, "Upper", "Upper.dll"), HotSwapPlugins.V2);
            await HotSwapWait.AnswerBecomesAsync(client, "abc", "ABC", "B:abc");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task EditingThePluginsSectionReloadsItWithTheNewSettings(string transport)
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        var configFile = Path.Combine(plugins.PluginsPath, "pluggablenet.json");
        WriteConfig(configFile, HotSwapPlugins.Name, mark: "1");
        using var configuration = BuildConfiguration(transport, plugins.PluginsPath, configFile);
        await using var server = TestServer.Start(transport, new Dictionary<string, string?>(), configuration);
        await using var reloader = ReloaderHarness.Start(server);
        using var client = server.Connect();
        Assert.Equal("A1:x", await client.AskAsync("x"));

        WriteConfig(configFile, HotSwapPlugins.Name, mark: "2");
        await HotSwapWait.AnswerBecomesAsync(client, "x", "A1:x", "A2:x");
        Assert.Equal(2, server.Server.Status().Generation);

        // A change elsewhere in the configuration does not touch the plugin.
        WriteConfig(configFile, HotSwapPlugins.Name, mark: "2", other: "changed");
        await server.Log.WaitForAsync("nothing concerning plugin HotSwap changed");
        Assert.Equal(2, server.Server.Status().Generation);
    }

    private static ConfigurationRoot BuildConfiguration(string transport, string pluginsPath, string configFile) =>
        (ConfigurationRoot)new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Server:Address"] = "127.0.0.1",
                ["Server:Port"] = "0",
                ["Server:Transport"] = transport,
                ["Server:ReactorThreads"] = "2",
                ["Server:DrainTimeout"] = "5",
                ["Logic:PluginsPath"] = pluginsPath,
                ["Logic:HotReload"] = "true",
            })
            .AddJsonFile(new PhysicalFileProvider(Path.GetDirectoryName(configFile)!), Path.GetFileName(configFile), optional: false, reloadOnChange: true)
            .Build();

    private static void WriteConfig(string path, string plugin, string? mark = null, string other = "same")
    {
        var plugins = new Dictionary<string, object>();
        if (mark is not null)
        {
            plugins[plugin] = new Dictionary<string, string> { ["Mark"] = mark };
        }

        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Logic"] = new Dictionary<string, string> { ["Plugin"] = plugin },
            ["Plugins"] = plugins,
            ["Unrelated"] = new Dictionary<string, string> { ["Value"] = other },
        });
        // Written whole, then renamed into place: the stock JSON provider reloading a half-written file would read it as
        // empty, and Logic:Plugin would fall back to Reverse for a moment (seen once in CI as a swap back to Reverse).
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
