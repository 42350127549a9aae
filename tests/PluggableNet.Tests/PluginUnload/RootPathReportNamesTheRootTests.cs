using PluggableNet.Tests.HotSwap;
using PluggableNet.Tests.Infrastructure;
using Serilog.Events;
using Xunit.Abstractions;

namespace PluggableNet.Tests.PluginUnload;

/// <summary>
/// A plugin that does not unload is followed by a root-path report (with Logic:UnloadReport on), read from a
/// heap snapshot of this very process: it names the static field (declaring type and field), the GC handle (its
/// kind) or the thread (managed id and name) that holds the swapped-out plugin, with the chain down to it.
/// </summary>
[Collection(HotSwapMeasurements.Name)]
public sealed class RootPathReportNamesTheRootTests(ITestOutputHelper output)
{
    private const string Reported = "stays loaded; what holds it";

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AStaticEventSubscriptionIsNamedByDeclaringTypeAndField(string transport)
    {
        var report = await SwapOutAndReportAsync(transport, RootPathPlugins.StaticName, RootPathPlugins.StaticEvent);

        Assert.Contains("Root: static field System.AppContext.UnhandledException", report, StringComparison.Ordinal);
        Assert.Contains("RootPathStatic.Plugin   <- in the plugin's load context", report, StringComparison.Ordinal);
        Assert.Contains("-> field _target: RootPathStatic.Plugin", report, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AGcHandleIsNamedWithItsKind(string transport)
    {
        var report = await SwapOutAndReportAsync(transport, RootPathPlugins.HandleName, RootPathPlugins.GcHandle);

        Assert.Contains("Root: GC handle (Strong)", report, StringComparison.Ordinal);
        Assert.Contains("RootPathHandle.Plugin   <- in the plugin's load context", report, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AThreadIsNamedByManagedIdAndName(string transport)
    {
        string report;
        try
        {
            report = await SwapOutAndReportAsync(transport, RootPathPlugins.ThreadName, RootPathPlugins.BlockedThread);
        }
        finally
        {
            AppContext.SetData($"{RootPathPlugins.ReleaseThreads}-{transport}-A", true);
            AppContext.SetData($"{RootPathPlugins.ReleaseThreads}-{transport}-B", true);
        }

        var id = (int)AppContext.GetData($"pnet-rootpath-thread-{transport}-A")!;
        Assert.Contains($"Root: thread stack: managed thread {id} \"{RootPathPlugins.WorkerName}\"", report, StringComparison.Ordinal);
        Assert.Contains("in RootPathThread.Plugin.Run", report, StringComparison.Ordinal);
        Assert.Contains("RootPathThread.Plugin   <- in the plugin's load context", report, StringComparison.Ordinal);
    }

    /// <summary>Serves build A of the plugin, swaps in build B, and returns the report logged about A.</summary>
    private async Task<string> SwapOutAndReportAsync(string transport, string name, Func<string, byte[]> build)
    {
        using var plugins = new UnloadPluginFolder(name, build($"{transport}-A"));
        await using var server = TestServer.Start(transport, [.. plugins.Settings(), ("Logic:UnloadReport", "true")]);
        using var client = server.Connect();
        Assert.Equal($"{transport}-A", await client.AskAsync("x"));

        plugins.Write(build($"{transport}-B"));
        var result = await server.Server.ReloadAsync("test");
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal($"{transport}-B", await client.AskAsync("x"));

        // The unload check takes about 3 s, the snapshot and its analysis a few more; generous for a loaded machine.
        await server.Log.WaitForAsync(Reported, LogEventLevel.Warning, TimeSpan.FromSeconds(120));
        await server.Server.Plugins.Retired.Reporting.WaitAsync(TimeSpan.FromSeconds(120));
        var report = Assert.Single(server.Log.Messages(LogEventLevel.Warning), m => m.Contains(Reported, StringComparison.Ordinal));
        output.WriteLine(report);
        Assert.Contains($"Plugin {name} 7.0.0-{transport}-A (generation 1", report, StringComparison.Ordinal);
        Assert.Contains("Snapshot: ", report, StringComparison.Ordinal);
        Assert.Contains("snapshot deleted", report, StringComparison.Ordinal);
        return report;
    }
}
