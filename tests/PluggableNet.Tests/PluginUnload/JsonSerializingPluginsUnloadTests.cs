using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using PluggableNet.Tests.HotSwap;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginUnload;

/// <summary>
/// A plugin that serialises its own (and anonymous) types with System.Text.Json's reflection serializer or with
/// Newtonsoft.Json unloads like any other: swapped 50 times, every retired generation is collected by the host's own
/// check (the test forces no collection), none is reported as leaking, and memory stays flat. Without the host
/// clearing the shared caches at retirement, every one of them stayed loaded.
/// </summary>
[Collection(HotSwapMeasurements.Name)]
public sealed class JsonSerializingPluginsUnloadTests
{
    private const int Swaps = 50;
    private const int EarlySample = 10;

    // A retired Newtonsoft generation holds its own copy of Newtonsoft.Json (~700 KiB of image plus its caches):
    // 40 leaked between the samples would add far more than this.
    private const long MaxManagedGrowthBytes = 8L * 1024 * 1024;
    private const long MaxNativeGrowthBytes = 40L * 1024 * 1024;

    public static TheoryData<string> Serializers => ["System.Text.Json", "Newtonsoft.Json"];

    [Theory]
    [MemberData(nameof(Serializers))]
    public async Task EveryRetiredGenerationIsCollectedByTheHostAndMemoryStaysFlat(string serializer)
    {
        Func<string, byte[]> build = serializer == "Newtonsoft.Json" ? UnloadPlugins.Newtonsoft : UnloadPlugins.SystemTextJson;
        var versions = new[] { build("A"), build("B") };
        using var plugins = serializer == "Newtonsoft.Json"
            ? new UnloadPluginFolder(versions[0], PluginCompiler.NewtonsoftDll)
            : new UnloadPluginFolder(versions[0]);
        await using var server = TestServer.Start("Epoll", plugins.Settings());
        using var client = server.Connect();
        Assert.Contains("\"A\"", await client.AskAsync("x"), StringComparison.Ordinal);

        var retired = new List<WeakReference>();
        long earlyHeap = 0, earlyNative = 0;
        for (var i = 1; i <= Swaps; i++)
        {
            retired.Add(await SwapAndAskAsync(server, client, plugins, versions, i));
            if (i == EarlySample)
            {
                await AllCollectedByTheHostAsync(server, retired);
                earlyHeap = GC.GetTotalMemory(forceFullCollection: true);
                earlyNative = ResidentOutsideTheGcHeap();
            }
        }

        await AllCollectedByTheHostAsync(server, retired);
        var lateHeap = GC.GetTotalMemory(forceFullCollection: true);
        var lateNative = ResidentOutsideTheGcHeap();
        Assert.Equal(0, server.Server.Plugins.Retired.Leaked);
        Assert.DoesNotContain(server.Log.Messages(), m => m.Contains("did not unload", StringComparison.Ordinal));
        Assert.True(lateHeap - earlyHeap < MaxManagedGrowthBytes, $"managed heap grew {(lateHeap - earlyHeap) / 1024} KiB from swap {EarlySample} to swap {Swaps}");
        Assert.True(lateNative - earlyNative < MaxNativeGrowthBytes, $"resident memory outside the GC heap grew {(lateNative - earlyNative) / 1024} KiB from swap {EarlySample} to swap {Swaps}");
        Assert.True(
            AssemblyLoadContext.All.Count(c => c.IsCollectible && c.Assemblies.Any(a => a.GetName().Name == UnloadPlugins.Name)) <= 1,
            "only the serving generation's context is left");
    }

    /// <summary>
    /// The working set less what the GC has committed: a retired generation's image and loader heaps live here. The
    /// whole working set also moves with the GC's committed regions, which it decommits at its own pace after a
    /// collection, by tens of MiB on a busy machine.
    /// </summary>
    private static long ResidentOutsideTheGcHeap() => Environment.WorkingSet - GC.GetGCMemoryInfo().TotalCommittedBytes;

    /// <summary>Waits for the host's check (it induces the collections) and asserts every context is gone.</summary>
    internal static async Task AllCollectedByTheHostAsync(TestServer server, List<WeakReference> contexts)
    {
        await Wait.UntilAsync(
            () => server.Server.Plugins.Retired.Checking.IsCompleted && server.Server.Plugins.Retired.StillLoaded == 0,
            TimeSpan.FromSeconds(60),
            "the host's unload check to collect every retired generation");
        var alive = contexts.Select((c, i) => (c, i)).Where(x => x.c.IsAlive).Select(x => x.i + 1).ToList();
        Assert.True(alive.Count == 0, $"load contexts of swaps {string.Join(", ", alive)} are still alive");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> SwapAndAskAsync(TestServer server, FrameClient client, UnloadPluginFolder plugins, byte[][] versions, int i)
    {
        var tag = i % 2 == 1 ? "B" : "A";
        plugins.Write(versions[i % 2]);
        var result = await server.Server.ReloadAsync("test");
        Assert.True(result.Succeeded, result.Error);
        var answer = await client.AskAsync("request" + i);
        Assert.Contains($"\"{tag}\"", answer, StringComparison.Ordinal);
        return result.PreviousLoadContext!;
    }
}
