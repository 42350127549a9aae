using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

public sealed class StatusAndHelpTests
{
    [LinuxFact]
    public async Task StatusWithNothingRunningExitsThree()
    {
        await using var sandbox = new ServiceSandbox();

        var status = await sandbox.RunAsync("status");

        Assert.Equal(3, status.ExitCode);
        Assert.Equal("not running", status.Output.Trim());
    }

    [LinuxFact]
    public async Task StopWithNothingRunningSucceeds()
    {
        await using var sandbox = new ServiceSandbox();

        var stop = await sandbox.RunAsync("stop");

        Assert.Equal(0, stop.ExitCode);
        Assert.Contains("not running", stop.Output, StringComparison.Ordinal);
    }

    [LinuxTheory]
    [InlineData("run")]
    [InlineData("start")]
    [InlineData("stop")]
    [InlineData("restart")]
    [InlineData("status")]
    [InlineData("reload")]
    public async Task EveryVerbHasHelp(string verb)
    {
        var help = await HostProcess.RunAsync([verb, "--help"]);

        Assert.Equal(0, help.ExitCode);
        Assert.Contains($"Usage:", help.Output, StringComparison.Ordinal);
        Assert.Contains($" {verb} [options]", help.Output, StringComparison.Ordinal);
        Assert.Contains("--pidfile", help.Output, StringComparison.Ordinal);
        Assert.Contains("--Section:Key=value", help.Output, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task MistypedOptionIsRejectedNotTakenAsConfiguration()
    {
        var stop = await HostProcess.RunAsync(["stop", "--forse"]);

        Assert.Equal(2, stop.ExitCode);
        Assert.Contains("Unrecognized option '--forse'", stop.Error, StringComparison.Ordinal);
    }
}
