using System.Runtime.CompilerServices;
using PluggableNet.Tests.HotSwap;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginUnload;

/// <summary>
/// The evidence behind the unload advice in docs/hot-swap.md: a plugin that keeps the host's logger, logger factory and its
/// configuration in static fields still unloads. References from the plugin to host objects do not pin it; only
/// references from outside into the plugin (caches, timers, threads, event handlers) do.
/// </summary>
[Collection(HotSwapMeasurements.Name)]
public sealed class StaticReferencesToHostObjectsDoNotPinTests
{
    private const int Swaps = 10;

    [Fact]
    public async Task APluginKeepingTheLoggerAndConfigurationInStaticsUnloads()
    {
        var versions = new[] { UnloadPlugins.StaticHostObjects("A"), UnloadPlugins.StaticHostObjects("B") };
        using var plugins = new UnloadPluginFolder(versions[0]);
        await using var server = TestServer.Start("Epoll", plugins.Settings());
        using var client = server.Connect();
        Assert.Equal("A", await client.AskAsync("x"));

        var retired = new List<WeakReference>();
        for (var i = 1; i <= Swaps; i++)
        {
            retired.Add(await SwapAsync(server, client, plugins, versions, i));
        }

        await JsonSerializingPluginsUnloadTests.AllCollectedByTheHostAsync(server, retired);
        Assert.Equal(0, server.Server.Plugins.Retired.Leaked);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> SwapAsync(TestServer server, FrameClient client, UnloadPluginFolder plugins, byte[][] versions, int i)
    {
        plugins.Write(versions[i % 2]);
        var result = await server.Server.ReloadAsync("test");
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(i % 2 == 1 ? "B" : "A", await client.AskAsync("x"));
        return result.PreviousLoadContext!;
    }
}
