using System.Net;
using System.Net.Sockets;

namespace PluggableNet.Tests.Service;

public sealed class StartFailureTests
{
    [LinuxFact]
    public async Task MissingPluginIsReportedAndLeavesNoPidfile()
    {
        await using var sandbox = new ServiceSandbox();

        var start = await sandbox.RunAsync("start", "--Logic:Plugin=NoSuchPlugin");

        Assert.Equal(3, start.ExitCode);
        Assert.Contains("Logic:Plugin 'NoSuchPlugin' was not found", start.Error, StringComparison.Ordinal);
        Assert.Contains("Available plugins:", start.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(sandbox.PidFile));
    }

    [LinuxFact]
    public async Task PortInUseIsReportedAndLeavesNoPidfile()
    {
        await using var sandbox = new ServiceSandbox();
        var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        try
        {
            var port = ((IPEndPoint)occupied.LocalEndpoint).Port;

            var start = await sandbox.RunAsync("start", $"--Server:Port={port}");

            Assert.Equal(4, start.ExitCode);
            Assert.Contains("Cannot start:", start.Error, StringComparison.Ordinal);
            Assert.Contains("in use", start.Error, StringComparison.OrdinalIgnoreCase);
            Assert.False(File.Exists(sandbox.PidFile));
        }
        finally
        {
            occupied.Stop();
        }
    }

    [LinuxFact]
    public async Task InvalidConfigurationIsReportedBeforeAnythingStarts()
    {
        await using var sandbox = new ServiceSandbox();

        var start = await sandbox.RunAsync("start", "--Server:Backlog=many");

        Assert.Equal(2, start.ExitCode);
        Assert.Contains("Server:Backlog", start.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(sandbox.PidFile));
    }
}
