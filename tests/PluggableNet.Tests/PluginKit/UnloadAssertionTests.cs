using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// PluginUnderTest.AssertUnloadsAsync on real compiled plugins: it passes for one that cleans up, and fails, naming
/// the usual causes, for one pinned by a static of a shared type or by a thread it never stops.
/// </summary>
public sealed class UnloadAssertionTests : IDisposable
{
    private const string Good = """
        using System.Buffers;
        using Microsoft.Extensions.Logging;

        namespace Good;

        public sealed class GoodPlugin(ILogger<GoodPlugin> logger) : PluggableNet.ILogicPlugin, System.IDisposable
        {
            private readonly System.Threading.Timer _timer = new(_ => { }, null, 10, 10);

            public void Process(System.ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                logger.LogInformation("asked {Length} bytes", request.Length);
                answer.Write(request);
            }

            public void Dispose() => _timer.Dispose();
        }
        """;

    // Subscribes to a static event of a runtime type and never unsubscribes: the event keeps the plugin alive.
    private const string StaticEvent = """
        using System.Buffers;

        namespace StaticEvent;

        public sealed class StaticEventPlugin : PluggableNet.ILogicPlugin
        {
            public StaticEventPlugin() => System.AppDomain.CurrentDomain.ProcessExit += OnExit;

            public void Process(System.ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => answer.Write(request);

            private void OnExit(object? sender, System.EventArgs e) { }
        }
        """;

    // Starts a thread that runs until the test releases it (a flag in AppContext): until then its code is pinned.
    private const string EndlessThread = """
        using System.Buffers;

        namespace EndlessThread;

        public sealed class EndlessThreadPlugin : PluggableNet.ILogicPlugin
        {
            public EndlessThreadPlugin()
            {
                var thread = new System.Threading.Thread(() =>
                {
                    while (System.AppContext.GetData("pnet-kit-release-thread") is null)
                    {
                        System.Threading.Thread.Sleep(10);
                    }
                }) { IsBackground = true };
                thread.Start();
            }

            public void Process(System.ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => answer.Write(request);
        }
        """;

    private readonly string _folder = TestPaths.NewTempDirectory("pnet-kit-unload");

    [Fact]
    public async Task AWellBehavedPluginUnloads()
    {
        await using var plugin = PluginUnderTest.LoadFrom(PluginCompiler.Build(_folder, "Good", Good));
        Assert.Equal("héllo", await plugin.CallAsync("héllo"));
        Assert.Contains(plugin.Logs, l => l == "Information Good.GoodPlugin: asked 6 bytes");

        await plugin.AssertUnloadsAsync();
    }

    [Fact]
    public async Task APluginHeldByAStaticEventFailsNamingStaticsOfSharedTypes()
    {
        await using var plugin = PluginUnderTest.LoadFrom(PluginCompiler.Build(_folder, "StaticEvent", StaticEvent));
        Assert.Equal("x", await plugin.CallAsync("x"));

        var failure = await Assert.ThrowsAsync<PluginUnloadException>(() => plugin.AssertUnloadsAsync());

        Assert.StartsWith("Plugin StaticEvent 1.0.0 is still loaded after 10 full garbage collections following its disposal", failure.Message, StringComparison.Ordinal);
        Assert.Contains("a static field of a type the plugin shares with the host", failure.Message, StringComparison.Ordinal);
        Assert.Contains("a static event subscription", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APluginWhoseThreadNeverEndsFailsNamingThreadsThenUnloadsOnceTheThreadEnds()
    {
        await using var plugin = PluginUnderTest.LoadFrom(PluginCompiler.Build(_folder, "EndlessThread", EndlessThread));
        var context = Context(plugin);
        try
        {
            var failure = await Assert.ThrowsAsync<PluginUnloadException>(() => plugin.AssertUnloadsAsync());
            Assert.Contains("a thread, timer or endless task the plugin started and did not stop", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            AppContext.SetData("pnet-kit-release-thread", true);
        }

        // The named cause was the real one: with the thread gone, the context is collected.
        for (var i = 0; i < 50 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(20);
        }

        Assert.False(context.IsAlive, "the plugin stayed loaded after its thread ended");
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

    // The plugin's load context, weakly, read through the loaded generation's public handle.
    private static WeakReference Context(PluginUnderTest plugin) => plugin.LoadContext;
}
