using System.Net.Sockets;
using System.Text;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

public sealed class ServiceLifecycleTests
{
    [LinuxFact]
    public async Task StartStatusRequestReloadStopRunsTheWholeLifecycle()
    {
        await using var sandbox = new ServiceSandbox();

        var start = await sandbox.RunAsync("start");
        Assert.True(start.ExitCode == 0, start.ToString());
        var pid = sandbox.ReadPid();
        Assert.NotNull(pid);
        var status = await sandbox.StatusAsync();
        Assert.NotNull(status);
        Assert.Contains($"started, pid {pid}, listening on 127.0.0.1:{status.Port}", start.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, status.Port);

        var shown = await sandbox.RunAsync("status");
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.StartsWith("running", shown.Output, StringComparison.Ordinal);
        Assert.Contains($"pid:          {pid}", shown.Output, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{status.Port}", shown.Output, StringComparison.Ordinal);
        Assert.Contains("plugin:       Reverse 1.0.0", shown.Output, StringComparison.Ordinal);

        using (var client = FrameClient.Connect(await sandbox.EndPointAsync()))
        {
            await client.SendRawAsync("00005abcde");
            var answer = new byte[10];
            var read = 0;
            while (read < answer.Length)
            {
                var n = await client.Socket.ReceiveAsync(answer.AsMemory(read), SocketFlags.None);
                Assert.True(n > 0, "connection closed before the answer");
                read += n;
            }

            Assert.Equal("00005edcba", Encoding.ASCII.GetString(answer));
        }

        // Only the pidfile: reload refuses overrides such as the sandbox's --Server:Port, which a SIGHUP cannot carry.
        var reload = await HostProcess.RunAsync(["reload", "--pidfile", sandbox.PidFile]);
        Assert.True(reload.ExitCode == 0, reload.ToString());
        Assert.Contains("reloaded: plugin Reverse version 1.0.0 (generation 2)", reload.Output, StringComparison.Ordinal);

        var stop = await sandbox.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.StartsWith("stopped", stop.Output, StringComparison.Ordinal);
        Assert.False(ServiceSandbox.IsAlive(pid.Value));

        var after = await sandbox.RunAsync("status");
        Assert.Equal(3, after.ExitCode);
        Assert.Contains("not running", after.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(sandbox.PidFile), "pidfile removed on orderly exit");
        Assert.False(File.Exists(sandbox.ControlSocket), "control socket removed on orderly exit");
        Assert.Contains("Stopped: ", sandbox.Log, StringComparison.Ordinal);
    }
}
