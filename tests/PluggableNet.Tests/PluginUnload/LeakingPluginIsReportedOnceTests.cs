using PluggableNet.Tests.HotSwap;
using PluggableNet.Tests.Infrastructure;
using Serilog.Events;

namespace PluggableNet.Tests.PluginUnload;

/// <summary>
/// A plugin that really leaks (a timer it never stops) is reported once, within seconds of its swap, by name,
/// version and build, with the likely causes; it is not reported again, and the status counts it as still loaded.
/// </summary>
[Collection(HotSwapMeasurements.Name)]
public sealed class LeakingPluginIsReportedOnceTests
{
    [Fact]
    public async Task TheLeakIsReportedOncePromptlyByNameVersionAndCauses()
    {
        using var plugins = new UnloadPluginFolder(UnloadPlugins.LeakyName, UnloadPlugins.LeakingTimer("A"));
        await using var server = TestServer.Start("Epoll", plugins.Settings());
        using var client = server.Connect();
        Assert.Equal("A", await client.AskAsync("x"));

        plugins.Write(UnloadPlugins.LeakingTimer("B"));
        var result = await server.Server.ReloadAsync("test");
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("B", await client.AskAsync("x"));

        // The check takes about three seconds; generous for a loaded machine.
        await server.Log.WaitForAsync("did not unload", LogEventLevel.Warning, TimeSpan.FromSeconds(30));
        await server.Server.Plugins.Retired.Checking.WaitAsync(TimeSpan.FromSeconds(30));

        var warning = Assert.Single(server.Log.Messages(LogEventLevel.Warning), m => m.Contains("did not unload", StringComparison.Ordinal));
        Assert.Contains("Leaky 6.6.6-A (generation 1, built ", warning, StringComparison.Ordinal);
        Assert.Contains("sha256 ", warning, StringComparison.Ordinal);
        Assert.Contains("Likely causes:", warning, StringComparison.Ordinal);
        Assert.Contains("timer", warning, StringComparison.Ordinal);
        Assert.Equal(1, server.Server.Plugins.Retired.Leaked);
        Assert.Equal(1, server.Server.Status().RetiredGenerationsLoaded);
    }
}
