using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PluggableNet.Tests.Plugins;

/// <summary>
/// Swapped-out generations are followed by weak reference and a bounded check that induces its own collections:
/// one whose load context survives it is reported once, by name, version and likely causes; one that unloads is
/// forgotten; one not in a collectible context (nothing to unload) is not watched at all.
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
    public async Task AGenerationStillLoadedAfterTheCheckIsReportedOnceByNameVersionAndCauses()
    {
        var retired = new RetiredGenerations();
        var (generation, context) = LoadCollectible(7);
        retired.Add(generation);
        var logger = _loggerFactory.CreateLogger("Plugins");

        retired.Verify(logger);
        await retired.Checking.WaitAsync(TimeSpan.FromSeconds(30));
        retired.Verify(logger);
        await retired.Checking.WaitAsync(TimeSpan.FromSeconds(30));

        var warning = Assert.Single(Warnings());
        Assert.Contains("Retired 4.2.0 (generation 7", warning, StringComparison.Ordinal);
        Assert.Contains("did not unload", warning, StringComparison.Ordinal);
        Assert.Contains("Likely causes:", warning, StringComparison.Ordinal);
        Assert.Equal(1, retired.StillLoaded);
        Assert.Equal(1, retired.Leaked);
        GC.KeepAlive(generation);
        context.Unload();
    }

    [Fact]
    public async Task AGenerationThatUnloadsIsCollectedByTheCheckItselfAndNeverReported()
    {
        var retired = new RetiredGenerations();
        var weak = RetireAndUnload(retired);

        // No collection by the test: the check induces its own, as on a quiet host.
        retired.Verify(_loggerFactory.CreateLogger("Plugins"));
        await retired.Checking.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(weak.IsAlive, "the load context was never collected");
        Assert.Equal(0, retired.StillLoaded);
        Assert.Equal(0, retired.Leaked);
        Assert.Empty(Warnings());
        Assert.Contains(_capture.Messages(), m => m.Contains("unloaded", StringComparison.Ordinal) && m.Contains("after its swap", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AGenerationOutsideACollectibleContextIsNotWatched()
    {
        var retired = new RetiredGenerations();
        var generation = new PluginGeneration("Echo", "1.0.0", 1, new EchoPlugin(), null, null, null);

        retired.Add(generation);
        retired.Verify(_loggerFactory.CreateLogger("Plugins"));
        await retired.Checking.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, retired.StillLoaded);
        Assert.Empty(Warnings());
    }

    public void Dispose() => _loggerFactory.Dispose();

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
