using System.Diagnostics;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

public sealed class StalePidFileTests
{
    [LinuxFact]
    public async Task StartAfterKillNineReportsTheStalePidfileAndReplacesIt()
    {
        await using var sandbox = new ServiceSandbox();
        var first = await sandbox.RunAsync("start");
        Assert.True(first.ExitCode == 0, first.ToString());
        var dead = sandbox.ReadPid()!.Value;
        using (var process = Process.GetProcessById(dead))
        {
            process.Kill();
        }

        await Wait.UntilAsync(() => !ServiceSandbox.IsAlive(dead), because: "the killed host is gone");
        Assert.True(File.Exists(sandbox.PidFile), "kill -9 leaves the pidfile behind");
        var status = await sandbox.RunAsync("status");
        Assert.Equal(1, status.ExitCode);
        Assert.Contains("stale pidfile", status.Output, StringComparison.Ordinal);

        var second = await sandbox.RunAsync("start");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains($"stale pidfile {sandbox.PidFile} (pid {dead} is not running); replacing it", second.Output, StringComparison.Ordinal);
        var pid = sandbox.ReadPid();
        Assert.NotEqual(dead, pid);
        Assert.Equal(pid, (await sandbox.StatusAsync())?.Pid);
        Assert.Contains($"Stale pidfile {sandbox.PidFile} (pid {dead} is not running); taken over", sandbox.Log, StringComparison.Ordinal);
    }
}
