using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.PluginUnload;

/// <summary>
/// The root-path report as an operator meets it: the real host process, hot-reloading a rebuilt plugin whose old build
/// stays subscribed to a static event, writes the chain from the static field to the plugin in its log, and how long
/// the snapshot paused it. Also proves the dump path where CI runs (root, the runtime's createdump beside libcoreclr.so).
/// </summary>
public sealed partial class RootPathReportInARealHostTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheHostLogsTheStaticFieldAndTheSnapshotPause()
    {
        using var plugins = new UnloadPluginFolder(RootPathPlugins.StaticName, RootPathPlugins.StaticEvent("host-A"));
        await using var host = HostProcess.Start(
        [
            "--Server:Address=127.0.0.1",
            "--Server:Port=0",
            $"--Logic:PluginsPath={plugins.PluginsPath}",
            $"--Logic:Plugin={RootPathPlugins.StaticName}",
            "--Logic:UnloadReport=true",
        ]);
        await host.WaitForOutputAsync("PluggableNet listening on", TimeSpan.FromSeconds(30));

        // A rebuild: the folder watcher swaps it in, and the old build cannot unload.
        plugins.Write(RootPathPlugins.StaticEvent("host-B"));
        await host.WaitForOutputAsync("snapshot deleted", TimeSpan.FromSeconds(120));

        var log = host.Output;
        Assert.Contains($"Plugin {RootPathPlugins.StaticName} 7.0.0-host-A (generation 1", log, StringComparison.Ordinal);
        Assert.Contains("stays loaded; what holds it (Logic:UnloadReport):", log, StringComparison.Ordinal);
        Assert.Contains("Root: static field System.AppContext.UnhandledException", log, StringComparison.Ordinal);
        Assert.Contains("-> field _target: RootPathStatic.Plugin   <- in the plugin's load context", log, StringComparison.Ordinal);
        var costs = SnapshotLine().Match(log);
        Assert.True(costs.Success, log);
        output.WriteLine(costs.Value);
    }

    [GeneratedRegex(@"Snapshot: .*snapshot deleted\.")]
    private static partial Regex SnapshotLine();
}
