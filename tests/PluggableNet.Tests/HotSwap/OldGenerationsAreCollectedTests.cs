using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.HotSwap;

[Collection(HotSwapMeasurements.Name)]
public sealed class OldGenerationsAreCollectedTests
{
    private const int Swaps = 40;
    private const int EarlySample = 10;

    // Each version holds a 1 MiB static ballast: 30 generations leaked between the samples would add 30 MiB.
    private const long MaxGrowthBytes = 8L * 1024 * 1024;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task EverySwappedOutLoadContextIsCollectedAndMemoryStaysFlat(string transport)
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start(transport, plugins.Settings());
        using var client = server.Connect();
        Assert.Equal("A:0", await client.AskAsync("0"));

        var retired = new List<WeakReference>();
        long early = 0;
        for (var i = 1; i <= Swaps; i++)
        {
            retired.Add(await SwapAndAskAsync(server, client, plugins, i));
            if (i == EarlySample)
            {
                await AssertCollectedAsync(retired);
                early = GC.GetTotalMemory(forceFullCollection: true);
            }
        }

        await AssertCollectedAsync(retired);
        var late = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(late - early < MaxGrowthBytes, $"heap grew {(late - early) / 1024} KiB from swap {EarlySample} to swap {Swaps}");
        Assert.Equal(0, server.Server.Plugins.Retired.StillLoaded);
        Assert.True(
            AssemblyLoadContext.All.Count(c => c.IsCollectible && c.Assemblies.Any(a => a.GetName().Name == HotSwapPlugins.Name)) <= 1,
            "only the serving generation's context is left");
    }

    /// <summary>
    /// Swaps to the other version and checks it answers. Alternates inline v1 and offloaded v2, so both call paths
    /// (reactor and thread pool) have run each generation's code. Returns only a weak handle on the old context.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> SwapAndAskAsync(TestServer server, FrameClient client, HotSwapPluginFolder plugins, int i)
    {
        var toV2 = i % 2 == 1;
        plugins.WriteInPlace(toV2 ? HotSwapPlugins.Tagged("B", "2.0.0", offloaded: true) : HotSwapPlugins.V1);
        var result = await server.Server.ReloadAsync("test");
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(toV2 ? $"B:{i}" : $"A:{i}", await client.AskAsync(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return result.PreviousLoadContext!;
    }

    /// <summary>A bounded GC loop: the contexts must all be collected within 50 rounds.</summary>
    private static async Task AssertCollectedAsync(List<WeakReference> contexts)
    {
        for (var round = 0; round < 50 && contexts.Any(c => c.IsAlive); round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();

            // A reactor blocked in epoll_wait may still hold the last generation it ran in a local until it wakes.
            await Task.Delay(50);
        }

        var alive = contexts.Select((c, i) => (c, i)).Where(x => x.c.IsAlive).Select(x => x.i + 1).ToList();
        Assert.True(alive.Count == 0, $"load contexts of swaps {string.Join(", ", alive)} are still alive");
    }
}
