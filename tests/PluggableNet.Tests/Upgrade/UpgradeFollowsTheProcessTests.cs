using PluggableNet.Host.Control;
using PluggableNet.Server.Interop;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Upgrade;

/// <summary>
/// What follows the process in an upgrade, as a supervisor sees it: under systemd the new host becomes the main
/// process (MAINPID= then READY=1) and the old one says nothing more; a daemon's pidfile names the new host, which
/// <c>status</c> and <c>stop</c> then act on.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UpgradeFollowsTheProcessTests
{
    [LinuxFact]
    public async Task UnderSystemdTheNewHostSendsMainPidThenReadyAndTheOldOneNoStopping()
    {
        await using var sandbox = new ServiceSandbox();
        await using var systemd = SystemdStandIn.Start(sandbox);
        var host = systemd.Host;
        Assert.Contains("READY=1", await systemd.ReceiveAsync());
        var before = await StatusAsync(sandbox, _ => true);

        var upgrade = await HostProcess.RunAsync(["upgrade", $"--Control:Socket={sandbox.ControlSocket}"], TimeSpan.FromSeconds(60));
        Assert.True(upgrade.ExitCode == 0, upgrade.ToString());
        var after = await StatusAsync(sandbox, s => s.Pid != before.Pid);
        try
        {
            Assert.Equal($"MAINPID={after.Pid}", (await systemd.ReceiveAsync())?.Trim());
            Assert.Contains("READY=1", await systemd.ReceiveAsync());

            // The old host drains and exits (so does the stand-in systemd shell) without a STOPPING=1.
            var exit = await host.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, exit.ExitCode);
            Assert.Null(await systemd.ReceiveAsync(TimeSpan.FromMilliseconds(500)));

            // The new host is the service now: its own stop is the one systemd hears.
            Assert.Equal(0, Libc.kill(after.Pid, Libc.SIGTERM));
            Assert.Contains("STOPPING=1", await systemd.ReceiveAsync());
            await Wait.UntilAsync(() => !ServiceSandbox.IsAlive(after.Pid), TimeSpan.FromSeconds(20), "the new host to exit");
        }
        finally
        {
            Libc.kill(after.Pid, Libc.SIGKILL);
        }
    }

    [LinuxFact]
    public async Task ADaemonsPidfileAndControlSocketNameTheNewHostAndStopStopsIt()
    {
        await using var sandbox = new ServiceSandbox();
        var started = await sandbox.RunAsync("start");
        Assert.True(started.ExitCode == 0, started.ToString());
        var oldPid = sandbox.ReadPid()!.Value;
        var endPoint = await sandbox.EndPointAsync();

        var upgrade = await HostProcess.RunAsync(["upgrade", "--pidfile", sandbox.PidFile], TimeSpan.FromSeconds(60));
        Assert.True(upgrade.ExitCode == 0, upgrade.ToString());
        await Wait.UntilAsync(() => sandbox.ReadPid() is { } pid && pid != oldPid, TimeSpan.FromSeconds(10), "the pidfile to name the new host");
        sandbox.Remember();
        var newPid = sandbox.ReadPid()!.Value;
        // The pidfile is taken just before the control socket opens.
        Server.ServerStatus? status = null;
        await Wait.UntilAsync(async () => (status = await sandbox.StatusAsync())?.Pid == newPid, TimeSpan.FromSeconds(10), "the control socket to answer for the new host");
        Assert.Contains($"pid {oldPid}", status!.UpgradedFrom, StringComparison.Ordinal);
        using (var client = FrameClient.Connect(endPoint))
        {
            Assert.Equal("cba", await client.AskAsync("abc"));
        }

        var text = await sandbox.RunAsync("status");
        Assert.Contains("upgraded:", text.Output, StringComparison.Ordinal);
        await Wait.UntilAsync(() => !ServiceSandbox.IsAlive(oldPid), TimeSpan.FromSeconds(20), "the old daemon to drain and exit");

        // The old host's exit removed neither the pidfile nor the control socket: they are the new host's.
        Assert.True(File.Exists(sandbox.PidFile));
        Assert.Equal(newPid, (await ControlChannel.QueryAsync(sandbox.ControlSocket, TimeSpan.FromSeconds(2)))?.Pid);
        var stop = await sandbox.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.False(ServiceSandbox.IsAlive(newPid));
    }

    /// <summary>The status once it holds (a loaded machine may let one query time out).</summary>
    private static async Task<Server.ServerStatus> StatusAsync(ServiceSandbox sandbox, Func<Server.ServerStatus, bool> condition)
    {
        Server.ServerStatus? status = null;
        await Wait.UntilAsync(async () => (status = await sandbox.StatusAsync()) is not null && condition(status), TimeSpan.FromSeconds(20), "the host's status");
        return status!;
    }
}
