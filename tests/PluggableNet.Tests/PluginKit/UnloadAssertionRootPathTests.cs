using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// PluginUnderTest.AssertUnloadsAsync's failure carries the host's root-path report, from a heap snapshot of the test
/// process: the static field (declaring type and name) that holds the plugin, and the chain down to it.
/// </summary>
public sealed class UnloadAssertionRootPathTests : IDisposable
{
    // Subscribes to a static event of the runtime, kept in the static field AppContext.UnhandledException.
    private const string StaticEvent = """
        using System.Buffers;

        namespace KitRootPath;

        public sealed class HeldPlugin : PluggableNet.ILogicPlugin
        {
            public HeldPlugin() => System.AppDomain.CurrentDomain.UnhandledException += OnUnhandled;

            public void Process(System.ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => answer.Write(request);

            private void OnUnhandled(object? sender, System.UnhandledExceptionEventArgs e) { }
        }
        """;

    private readonly string _folder = TestPaths.NewTempDirectory("pnet-kit-rootpath");

    [Fact]
    public async Task TheFailureNamesTheStaticFieldThatHoldsThePlugin()
    {
        await using var plugin = PluginUnderTest.LoadFrom(PluginCompiler.Build(_folder, "KitRootPath", StaticEvent));
        Assert.Equal("x", await plugin.CallAsync("x"));

        var failure = await Assert.ThrowsAsync<PluginUnloadException>(() => plugin.AssertUnloadsAsync());

        Assert.StartsWith("Plugin KitRootPath 1.0.0 is still loaded after 10 full garbage collections", failure.Message, StringComparison.Ordinal);
        Assert.NotNull(failure.RootPath);
        Assert.Contains(failure.RootPath, failure.Message, StringComparison.Ordinal);
        Assert.Contains("Root: static field System.AppContext.UnhandledException", failure.RootPath, StringComparison.Ordinal);
        Assert.Contains("-> field _target: KitRootPath.HeldPlugin   <- in the plugin's load context", failure.RootPath, StringComparison.Ordinal);
        Assert.Contains("snapshot deleted", failure.RootPath, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
