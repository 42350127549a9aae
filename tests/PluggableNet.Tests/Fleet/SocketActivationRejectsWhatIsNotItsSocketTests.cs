using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Fleet;

/// <summary>
/// A host given LISTEN_FDS that does not describe one listening TCP socket passed to it refuses to start with exit 2
/// and one line saying why, rather than binding a port of its own behind the supervisor's back.
/// </summary>
public sealed class SocketActivationRejectsWhatIsNotItsSocketTests
{
    [Fact]
    public async Task ASocketPassedToAnotherProcessIsRefused()
    {
        var result = await RunAsync("exec 3</dev/null; LISTEN_PID=1 LISTEN_FDS=1 exec \"$@\"");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Cannot start: LISTEN_PID=1 is not this process", result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileInsteadOfASocketIsRefused()
    {
        var result = await RunAsync("exec 3</dev/null; export LISTEN_FDS=1; LISTEN_PID=$$ exec \"$@\"");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Cannot start: LISTEN_FDS=1: fd 3 is not a socket", result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileAmongSeveralSocketsIsRefused()
    {
        var result = await RunAsync("exec 3</dev/null 4</dev/null; LISTEN_PID=$$ LISTEN_FDS=2 LISTEN_FDNAMES=Public:Admin exec \"$@\"");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Cannot start: LISTEN_FDS=2 (Public): fd 3 is not a socket", result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADatagramSocketIsRefused()
    {
        // systemd-socket-activate --datagram passes a bound UDP socket; the host serves TCP only.
        var port = SupervisedHost.FreePort();
        await using var process = ChildProcess.Start(
            "systemd-socket-activate",
            ["--datagram", "-l", $"127.0.0.1:{port}", ChildProcess.Dotnet, TestPaths.HostDll, "run", "--Logic:HotReload=false"],
            workingDirectory: TestPaths.HostOutput);
        await process.WaitForOutputAsync("Listening on", Wait.Default);
        using (var udp = new System.Net.Sockets.UdpClient())
        {
            // A datagram socket is activated by its first datagram.
            await udp.SendAsync(new byte[] { 1 }, 1, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        }

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(25)));
        Assert.Contains("fd 3 is not a TCP socket", process.Output + process.Error, StringComparison.Ordinal);
    }

    private static async Task<HostResult> RunAsync(string script)
    {
        await using var process = ChildProcess.Start(
            "bash",
            ["-c", script, "launcher", ChildProcess.Dotnet, TestPaths.HostDll, "run", "--Server:Address=127.0.0.1", "--Server:Port=0", "--Logic:HotReload=false"],
            workingDirectory: TestPaths.HostOutput);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(25));
        return new HostResult(exitCode, process.Output, process.Error);
    }
}
