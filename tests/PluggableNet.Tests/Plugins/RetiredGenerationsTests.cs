using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using PluggableNet.Host.Plugins;
using PluggableNet.Tests.Infrastructure;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PluggableNet.Tests.Plugins;

/// <summary>
/// Swapped-out generations are watched by weak reference: one whose load context survives several full
/// collections is reported once, by name; one that unloads is forgotten; one not in a collectible context
/// (nothing to unload) is not watched at all.
/// </summary>
[Collection(RetiredGenerationsCollection.Name)]
public sealed class RetiredGenerationsTests : IDisposable
{
    private const string Source = """
        namespace Retired;

        public sealed class Plugin : PluggableNet.ILogicPlugin
        {
            public void Process(System.ReadOnlySpan<byte> request, System.Buffers.IBufferWriter<byte> answer) => System.Buffers.BuffersExtensions.Write(answer, request);
        }
        """;

    private static readonly Lazy<byte[]> s_dll = new(() => PluginCompiler.Compile("Retired", Source, "4.2.0"));
    private readonly LogCapture _capture = new();
    private readonly SerilogLoggerFactory _loggerFactory;

    public RetiredGenerationsTests()
    {
        _loggerFactory = new SerilogLoggerFactory(new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(_capture).CreateLogger(), dispose: true);
    }

    [Fact]
    public void AGenerationStillLoadedAfterSeveralFullCollectionsIsReportedOnceByName()
    {
        var retired = new RetiredGenerations();
        var (generation, context) = LoadCollectible(7);
        retired.Add(generation);
        var logger = _loggerFactory.CreateLogger("Plugins");

        retired.Check(logger);
        Assert.Empty(Warnings());

        FullCollections(10);
        retired.Check(logger);
        retired.Check(logger);

        var warning = Assert.Single(Warnings());
        Assert.Contains("Retired 4.2.0 (generation 7)", warning, StringComparison.Ordinal);
        Assert.Equal(1, retired.StillLoaded);
        GC.KeepAlive(generation);
        context.Unload();
    }

    [Fact]
    public void AGenerationThatUnloadsIsForgottenAndNeverReported()
    {
        var retired = new RetiredGenerations();
        var weak = RetireAndUnload(retired);

        for (var i = 0; i < 50 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(weak.IsAlive, "the load context was never collected");
        Assert.Equal(0, retired.StillLoaded);
        FullCollections(10);
        retired.Check(_loggerFactory.CreateLogger("Plugins"));
        Assert.Empty(Warnings());
    }

    [Fact]
    public void AGenerationOutsideACollectibleContextIsNotWatched()
    {
        var retired = new RetiredGenerations();
        var generation = new PluginGeneration("Echo", "1.0.0", 1, new EchoPlugin(), null, null, null);

        retired.Add(generation);
        FullCollections(10);
        retired.Check(_loggerFactory.CreateLogger("Plugins"));

        Assert.Equal(0, retired.StillLoaded);
        Assert.Empty(Warnings());
    }

    public void Dispose() => _loggerFactory.Dispose();

    private static void FullCollections(int count)
    {
        for (var i = 0; i < count; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        }
    }

    /// <summary>A generation of the compiled plugin in a collectible context of its own, as the host loads one.</summary>
    private static (PluginGeneration Generation, AssemblyLoadContext Context) LoadCollectible(int number)
    {
        var context = new AssemblyLoadContext($"retired-{number}", isCollectible: true);
        using var image = new MemoryStream(s_dll.Value);
        var plugin = (ILogicPlugin)Activator.CreateInstance(context.LoadFromStream(image).GetType("Retired.Plugin", throwOnError: true)!)!;
        return (new PluginGeneration("Retired", "4.2.0", number, plugin, null, null, null), context);
    }

    /// <summary>Retires a generation, disposes it and unloads its context; nothing of it stays on this frame.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RetireAndUnload(RetiredGenerations retired)
    {
        var (generation, context) = LoadCollectible(8);
        retired.Add(generation);
        Assert.Equal(1, retired.StillLoaded);
        generation.DisposeAsync().AsTask().GetAwaiter().GetResult();
        context.Unload();
        return new WeakReference(context);
    }

    private List<string> Warnings() =>
        _capture.Events.Where(e => e.Level == LogEventLevel.Warning).Select(LogCapture.Render).ToList();

    private sealed class EchoPlugin : ILogicPlugin
    {
        public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => answer.Write(request);
    }
}

/// <summary>
/// The retired-generation tests count full collections, and one forces many: they run alone so that neither
/// disturbs the measurements of other tests nor is disturbed by theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RetiredGenerationsCollection
{
    public const string Name = "Retired generations";
}
