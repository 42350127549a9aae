using System.Net.Sockets;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Cli;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Hardening;

/// <summary>Issue 10, point 13: the control socket takes its path over only from a host that is gone.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ControlSocketPathTests : IDisposable
{
    private readonly string _directory = TestPaths.NewTempDirectory("pnet-ctl");

    private string Socket => Path.Combine(_directory, "ctl.sock");

    private string[] Args => ["--Server:Address=127.0.0.1", "--Server:Port=0", $"--Control:Socket={Socket}"];

    [LinuxFact]
    public async Task ARegularFileAtTheSocketPathIsLeftAloneAndTheHostRefusesToStart()
    {
        File.WriteAllText(Socket, "precious\n");

        var result = await HostProcess.RunAsync(Args, TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"Control:Socket: {Socket} exists and is not a socket", result.All, StringComparison.Ordinal);
        Assert.Equal("precious\n", File.ReadAllText(Socket));
    }

    [LinuxFact]
    public async Task ASocketInAWorldWritableDirectoryWithoutTheStickyBitIsRefused()
    {
        var shared = Directory.CreateDirectory(Path.Combine(_directory, "shared")).FullName;
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);
        var socket = Path.Combine(shared, "ctl.sock");

        var result = await HostProcess.RunAsync(["--Server:Address=127.0.0.1", "--Server:Port=0", $"--Control:Socket={socket}"], TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Control:Socket:", result.All, StringComparison.Ordinal);
        Assert.Contains("no sticky bit", result.All, StringComparison.Ordinal);
        Assert.False(File.Exists(socket));
    }

    [LinuxFact]
    public async Task ASecondHostOnALiveSocketIsRefusedAndTheFirstKeepsIt()
    {
        var (first, _) = await CliSandbox.StartForegroundAsync(Args);
        await using (first)
        {
            await AnswersStatusAsync(first.Id);

            var second = await HostProcess.RunAsync(Args, TimeSpan.FromSeconds(30));

            Assert.True(second.ExitCode == 4, second.ToString());
            Assert.Contains($"Control:Socket {Socket}: address already in use", second.All, StringComparison.Ordinal);
            Assert.Equal(first.Id, (await ControlChannel.QueryAsync(Socket, TimeSpan.FromSeconds(5)))?.Pid);
        }
    }

    [LinuxFact]
    public async Task AStaleSocketOfAHostThatDiedIsReplaced()
    {
        // Bound, then closed without unlinking: what a host killed with -9 leaves behind.
        using (var dead = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(Socket));
        }

        var (host, _) = await CliSandbox.StartForegroundAsync(Args);
        await using (host)
        {
            await AnswersStatusAsync(host.Id);
        }
    }

    /// <summary>The control socket is bound just after the start-up line: wait for the host with <paramref name="pid"/> to answer on it.</summary>
    private Task AnswersStatusAsync(int pid) =>
        Wait.UntilAsync(async () => (await ControlChannel.QueryAsync(Socket, TimeSpan.FromSeconds(2)))?.Pid == pid, TimeSpan.FromSeconds(15), $"host {pid} answers status on {Socket}");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
