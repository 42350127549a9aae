using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.HotSwap;

public sealed class FileChangeSwapsPluginTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task OverwritingTheDllSwitchesAnswersOnTheSameConnection(string transport)
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start(transport, plugins.Settings(("Logic:HotReload", "true")));
        await using var reloader = ReloaderHarness.Start(server);
        using var client = server.Connect();
        Assert.Equal("A:hello", await client.AskAsync("hello"));

        plugins.WriteInPlace(HotSwapPlugins.V2);
        await HotSwapWait.AnswerBecomesAsync(client, "hello", "A:hello", "B:hello");

        var status = server.Server.Status();
        Assert.Equal(("HotSwap", "2.0.0", 2, 1, "file"), (status.Plugin, status.PluginVersion, status.Generation, status.Swaps, status.LastSwapTrigger));
        Assert.Equal(1, server.Server.Metrics.OpenConnections);
        await server.Log.WaitForAsync("trigger file");
    }

    /// <summary>
    /// The host logs that it listens before its folder watch begins: a rebuild written in between raised no event for
    /// the watch, and stayed unloaded until the next one (CI's RootPathReportInARealHostTests waited 2 minutes for it).
    /// </summary>
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ADllWrittenBeforeTheWatchBeganIsSwappedInWhenItBegins(string transport)
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start(transport, plugins.Settings(("Logic:HotReload", "true")));
        using var client = server.Connect();
        Assert.Equal("A:hello", await client.AskAsync("hello"));

        plugins.WriteInPlace(HotSwapPlugins.V2);
        await using var reloader = ReloaderHarness.Start(server);
        await HotSwapWait.AnswerBecomesAsync(client, "hello", "A:hello", "B:hello");
        Assert.Equal(("2.0.0", 1, "file"), (server.Server.Status().PluginVersion, server.Server.Status().Swaps, server.Server.Status().LastSwapTrigger));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnAtomicRenameDeployIsSeen(string transport)
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start(transport, plugins.Settings(("Logic:HotReload", "true")));
        await using var reloader = ReloaderHarness.Start(server);
        using var client = server.Connect();
        Assert.Equal("A:x", await client.AskAsync("x"));

        // Written elsewhere, then renamed over the DLL: raises Renamed (or Created), never Changed.
        plugins.Deploy(HotSwapPlugins.V2);
        await HotSwapWait.AnswerBecomesAsync(client, "x", "A:x", "B:x");

        plugins.Deploy(HotSwapPlugins.V1);
        await HotSwapWait.AnswerBecomesAsync(client, "y", "B:y", "A:y");
        Assert.Equal(2, server.Server.Status().Swaps);
    }

    [Fact]
    public async Task ABurstOfWritesIsOneSwap()
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start("Sockets", plugins.Settings(("Logic:HotReload", "true")));
        await using var reloader = ReloaderHarness.Start(server);
        using var client = server.Connect();

        // A build touches several files in quick succession; the debounce and the stability check make one swap of it.
        for (var i = 0; i < 5; i++)
        {
            File.WriteAllText(Path.Combine(plugins.Folder, $"HotSwap.extra{i}.json"), "{}");
            plugins.WriteInPlace(i % 2 == 0 ? HotSwapPlugins.V2 : HotSwapPlugins.V1);
        }

        plugins.WriteInPlace(HotSwapPlugins.V2);
        await HotSwapWait.AnswerBecomesAsync(client, "x", "A:x", "B:x");
        await Task.Delay(ReloaderHarness.Fast.FileDebounce * 3);
        Assert.Equal(1, server.Server.Status().Swaps);
    }
}
