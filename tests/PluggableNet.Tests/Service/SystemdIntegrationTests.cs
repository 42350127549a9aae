using PluggableNet.Host.Service;
using PluggableNet.Server.Interop;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

public sealed class SystemdIntegrationTests
{
    /// <summary>Runs the host the way a Type=notify unit does (<see cref="SystemdStandIn"/>).</summary>
    [LinuxFact]
    public async Task UnderSystemdItNotifiesReadyAndStoppingAndLogsWithSyslogPriorities()
    {
        await using var sandbox = new ServiceSandbox();
        await using var systemd = SystemdStandIn.Start(sandbox);
        var host = systemd.Host;

        Assert.Contains("READY=1", await systemd.ReceiveAsync());

        // READY comes only once the listener accepts.
        var status = await sandbox.StatusAsync();
        Assert.NotNull(status);
        using (var client = FrameClient.Connect(await sandbox.EndPointAsync()))
        {
            Assert.Equal("edcba", await client.AskAsync("abcde"));
        }

        await host.WaitForOutputAsync("<6>PluggableNet listening on 127.0.0.1:");
        Assert.Equal(0, Libc.kill(status.Pid, Libc.SIGTERM));
        Assert.Contains("STOPPING=1", await systemd.ReceiveAsync());
        var exit = await host.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(exit.ExitCode == 0, exit.ToString());
        Assert.Contains("<6>Stopped: 0 connection(s) drained", exit.Output, StringComparison.Ordinal);
    }
}
