using System.Runtime.InteropServices;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.HotSwap;

public sealed partial class SighupReloadsRunningHostTests
{
    private const int Sighup = 1;

    [Fact]
    public async Task SighupSwapsInTheRebuiltPluginAndTheHostKeepsRunning()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        var control = Path.Combine(plugins.PluginsPath, "control.sock");
        await using var host = StartHost(plugins, control);

        var before = await StatusAsync(control, host, s => s is not null);
        Assert.Equal((1, "1.0.0"), (before.Generation, before.PluginVersion));
        using var client = FrameClient.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, before.Port));
        Assert.Equal("A:x", await client.AskAsync("x"));

        // With HotReload off, the rebuilt DLL is only picked up by the signal.
        plugins.WriteInPlace(HotSwapPlugins.V2);
        Assert.Equal(0, kill(host.Id, Sighup));

        var after = await StatusAsync(control, host, s => s?.Generation == 2);
        Assert.Equal(("2.0.0", 1, "signal"), (after.PluginVersion, after.Swaps, after.LastSwapTrigger));
        Assert.Equal("B:x", await client.AskAsync("x"));

        // A second SIGHUP reloads again, even with nothing changed, and the process is still serving.
        Assert.Equal(0, kill(host.Id, Sighup));
        await StatusAsync(control, host, s => s?.Generation == 3);
        Assert.Equal("B:y", await client.AskAsync("y"));
    }

    [Fact]
    public async Task ASighupAsSoonAsTheListenerOpensIsAReloadNotAnExit()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        var control = Path.Combine(plugins.PluginsPath, "control.sock");
        await using var host = StartHost(plugins, control);

        // The signal's default action ends a process: the host takes it over before it starts listening.
        await host.WaitForOutputAsync("PluggableNet listening on", TimeSpan.FromSeconds(30));
        Assert.Equal(0, kill(host.Id, Sighup));

        var after = await StatusAsync(control, host, s => s?.Generation == 2);
        Assert.Equal("signal", after.LastSwapTrigger);
        Assert.False(host.HasExited);
    }

    /// <summary>The host on a free port, serving the test plugin, swapped only by signals.</summary>
    private static HostProcess StartHost(HotSwapPluginFolder plugins, string control) => HostProcess.Start(
    [
        "--Server:Address=127.0.0.1",
        "--Server:Port=0",
        $"--Logic:PluginsPath={plugins.PluginsPath}",
        $"--Logic:Plugin={HotSwapPlugins.Name}",
        "--Logic:HotReload=false",
        $"--Control:Socket={control}",
    ]);

    private static async Task<ServerStatus> StatusAsync(string control, HostProcess host, Func<ServerStatus?, bool> condition)
    {
        ServerStatus? status = null;
        await Wait.UntilAsync(
            async () =>
            {
                status = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(1));
                return condition(status);
            },
            TimeSpan.FromSeconds(20),
            $"host status; last: {status}; output: {host.Output}{host.Error}");
        return status!;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
