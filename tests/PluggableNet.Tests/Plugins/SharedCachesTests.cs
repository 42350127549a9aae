using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Plugins;

/// <summary>
/// TypeDescriptor (which Newtonsoft.Json asks for converters) keeps every type it saw, so a collectible context
/// whose types it was asked about never unloads on .NET 10 — unless the host makes it forget them at retirement.
/// </summary>
[Collection(RetiredGenerationsCollection.Name)]
public sealed class SharedCachesTests
{
    private const string Source = "namespace Described { public sealed class Order { public int Id { get; set; } public string? Name { get; set; } } }";

    [Fact]
    public void TypeDescriptorPinsACollectibleContextUntilTheHostMakesItForget()
    {
        var pinned = DescribeAndUnload("described-control", forget: false);
        var forgotten = DescribeAndUnload("described-forgotten", forget: true);

        Collect(pinned, forgotten);

        Assert.False(forgotten.IsAlive, "the context was still pinned after SharedCaches.Forget");
        Assert.True(pinned.IsAlive, "without SharedCaches.Forget TypeDescriptor should pin the context (if it no longer does, the runtime fixed dotnet/runtime#30656)");
    }

    private static void Collect(params WeakReference[] references)
    {
        for (var round = 0; round < 20 && references.Any(r => r.IsAlive); round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference DescribeAndUnload(string name, bool forget)
    {
        var context = new AssemblyLoadContext(name, isCollectible: true);
        using var image = new MemoryStream(PluginCompiler.CompileLibrary(name, Source));
        var type = context.LoadFromStream(image).GetType("Described.Order", throwOnError: true)!;
        Assert.NotNull(TypeDescriptor.GetConverter(type));
        Assert.Equal(2, TypeDescriptor.GetProperties(type).Count);
        if (forget)
        {
            Assert.True(SharedCaches.Forget(context) > 0, "TypeDescriptor held none of the context's types");
        }

        context.Unload();
        return new WeakReference(context);
    }
}
