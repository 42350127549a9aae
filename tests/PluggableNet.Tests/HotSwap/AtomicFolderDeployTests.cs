using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;
using Serilog.Events;

namespace PluggableNet.Tests.HotSwap;

/// <summary>
/// The deploy contract (stage in <c>.Name.deploying-…</c>, retire to <c>.Name.retired-…</c>, rename the staged folder
/// into place): a folder renamed into place is complete, so it is loaded at once, without the quiet period; the
/// moment between the two renames is neither an error nor a reason to switch plugins; dot-prefixed entries are
/// never plugins.
/// </summary>
public sealed class AtomicFolderDeployTests
{
    /// <summary>A quiet period far longer than any wait below: a swap seen in time did not wait for it.</summary>
    private static readonly PluginReloadTimings s_endlessDebounce = ReloaderHarness.Fast with { FileDebounce = TimeSpan.FromMinutes(10) };

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AFolderRenamedIntoPlaceIsLoadedWithoutWaitingForQuiet(string transport)
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start(transport, plugins.Settings(("Logic:HotReload", "true")));
        await using var reloader = ReloaderHarness.Start(server, timings: s_endlessDebounce);
        using var client = server.Connect();
        Assert.Equal("A:x", await client.AskAsync("x"));

        await plugins.DeployFolderAsync(HotSwapPlugins.V2);
        await HotSwapWait.AnswerBecomesAsync(client, "x", "A:x", "B:x");

        await plugins.DeployFolderAsync(HotSwapPlugins.V1);
        await HotSwapWait.AnswerBecomesAsync(client, "y", "B:y", "A:y");

        var status = server.Server.Status();
        Assert.Equal((2, 0, "HotSwap"), (status.Swaps, status.FailedSwaps, status.Plugin));
        Assert.Empty(server.Log.Messages(LogEventLevel.Warning));
    }

    [Fact]
    public async Task AReloadBetweenTheTwoRenamesWaitsForTheNewFolder()
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start("Sockets", plugins.Settings());
        Task<PluggableNet.Server.SwapResult>? reload = null;

        await plugins.DeployFolderAsync(HotSwapPlugins.V2, async () =>
        {
            // SIGHUP or a config change arriving while the live folder is renamed away.
            reload = server.Server.ReloadAsync("signal");
            await Task.Delay(100);
            Assert.False(reload.IsCompleted, "the reload should wait for the folder being renamed into place");
        });

        var result = await reload!.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("2.0.0", result.Serving.Version);
        Assert.Equal(0, server.Server.Status().FailedSwaps);
    }

    [Fact]
    public void DotPrefixedFoldersAreNeverPlugins()
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        Directory.CreateDirectory(Path.Combine(plugins.PluginsPath, ".HotSwap.deploying-1"));
        Directory.CreateDirectory(Path.Combine(plugins.PluginsPath, ".Other"));
        var factory = new PluginFactory(plugins.PluginsPath, new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

        Assert.Equal(["HotSwap"], factory.Available());
        Assert.Null(factory.FindFolder(".Other"));
        Assert.True(factory.IsBeingReplaced("HotSwap"));
        Assert.False(factory.IsBeingReplaced("Other"));
    }
}
