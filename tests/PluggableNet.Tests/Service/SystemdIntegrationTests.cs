using System.Net.Sockets;
using System.Text;
using PluggableNet.Host.Service;
using PluggableNet.Server.Interop;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

public sealed class SystemdIntegrationTests
{
    /// <summary>
    /// Runs the host the way a Type=notify unit does: as the child of a process named <c>systemd</c> (a copy of
    /// /bin/sh, which is how Microsoft.Extensions.Hosting.Systemd recognises its parent) with a <c>NOTIFY_SOCKET</c>
    /// we listen on.
    /// </summary>
    [LinuxFact]
    public async Task UnderSystemdItNotifiesReadyAndStoppingAndLogsWithSyslogPriorities()
    {
        await using var sandbox = new ServiceSandbox();
        var notifyPath = Path.Combine(sandbox.Directory, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));

        var fakeSystemd = Path.Combine(sandbox.Directory, "systemd");
        File.Copy("/bin/sh", fakeSystemd);

        // "; exit" keeps the shell alive as the host's parent instead of exec'ing into it.
        await using var host = HostProcess.Start(
            ["-c", "dotnet \"$0\" \"$@\"; exit $?", TestPaths.HostDll, "run", "--Server:Address=127.0.0.1", "--Server:Port=0", $"--Control:Socket={sandbox.ControlSocket}"],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath },
            fileName: fakeSystemd);

        Assert.Contains("READY=1", await ReceiveAsync(notify));

        // READY comes only once the listener accepts.
        var status = await sandbox.StatusAsync();
        Assert.NotNull(status);
        using (var client = FrameClient.Connect(await sandbox.EndPointAsync()))
        {
            Assert.Equal("edcba", await client.AskAsync("abcde"));
        }

        await host.WaitForOutputAsync("<6>PluggableNet listening on 127.0.0.1:");
        Assert.Equal(0, Libc.kill(status.Pid, Libc.SIGTERM));
        Assert.Contains("STOPPING=1", await ReceiveAsync(notify));
        var exit = await host.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(exit.ExitCode == 0, exit.ToString());
        Assert.Contains("<6>Stopped: 0 connection(s) drained", exit.Output, StringComparison.Ordinal);
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[512];
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }
}
