using System.Net;
using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Cli;

/// <summary>A host that cannot start says so in one line; the generic host's stack trace is for Debug only.</summary>
public sealed class StartFailureOutputTests
{
    [LinuxFact]
    public async Task PortInUseIsOneLineWithoutStackTrace()
    {
        using var occupied = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupied.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupied.Listen();
        var port = ((IPEndPoint)occupied.LocalEndPoint!).Port;

        var result = await HostProcess.RunAsync(["run", "--Server:Address=127.0.0.1", $"--Server:Port={port}"]);

        Assert.True(result.ExitCode == 4, result.ToString());
        var lines = result.All.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Single(lines, line => line.Contains("Cannot start:", StringComparison.Ordinal) && line.Contains("in use", StringComparison.OrdinalIgnoreCase));
        // Said once: not "Cannot start: Cannot listen on …".
        Assert.Contains($"Cannot start: could not listen on 127.0.0.1:{port}: bind failed: Address already in use", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain("Cannot start: Cannot", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed to start", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, line => line.StartsWith("at ", StringComparison.Ordinal));
    }

    [LinuxFact]
    public async Task AtDebugLevelTheStackTraceIsShown()
    {
        using var occupied = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupied.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupied.Listen();
        var port = ((IPEndPoint)occupied.LocalEndPoint!).Port;

        var result = await HostProcess.RunAsync(
            ["run", "--Server:Address=127.0.0.1", $"--Server:Port={port}", "--Serilog:MinimumLevel:Default=Debug", "--Serilog:MinimumLevel:Override:Microsoft=Debug"]);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("Cannot start:", result.All, StringComparison.Ordinal);
        Assert.Contains("SocketException", result.All, StringComparison.Ordinal);
        Assert.Contains(result.All.Split('\n'), line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }
}
