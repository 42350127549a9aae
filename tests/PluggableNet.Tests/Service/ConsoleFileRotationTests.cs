using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

/// <summary><c>pluggablenet.out</c> above Service:ConsoleFileSizeLimit is rotated when a daemon starts, never left to grow.</summary>
public sealed class ConsoleFileRotationTests
{
    [LinuxFact]
    public async Task LargeConsoleFileIsRotatedAtStart()
    {
        await using var sandbox = new ServiceSandbox();
        var old = string.Concat(Enumerable.Repeat("output of an earlier run\n", 200));
        await File.WriteAllTextAsync(sandbox.ConsoleFile, old);

        var start = await sandbox.RunAsync("start", "--Service:ConsoleFileSizeLimit=1024");

        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Equal(old, await File.ReadAllTextAsync(sandbox.ConsoleFile + ".1"));
        Assert.True(new FileInfo(sandbox.ConsoleFile).Length < 1024, "the daemon writes into a fresh file");
        var stop = await HostProcess.RunAsync(["stop", "--pidfile", sandbox.PidFile]);
        Assert.True(stop.ExitCode == 0, stop.ToString());
    }

    [LinuxFact]
    public async Task SmallConsoleFileIsAppendedTo()
    {
        await using var sandbox = new ServiceSandbox();
        await File.WriteAllTextAsync(sandbox.ConsoleFile, "output of an earlier run\n");

        var start = await sandbox.RunAsync("start", "--Service:ConsoleFileSizeLimit=1024");

        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.StartsWith("output of an earlier run\n", await File.ReadAllTextAsync(sandbox.ConsoleFile), StringComparison.Ordinal);
        Assert.False(File.Exists(sandbox.ConsoleFile + ".1"));
        var stop = await HostProcess.RunAsync(["stop", "--pidfile", sandbox.PidFile]);
        Assert.True(stop.ExitCode == 0, stop.ToString());
    }

    [LinuxFact]
    public async Task StartFailureAfterRotationIsStillReported()
    {
        await using var sandbox = new ServiceSandbox();
        await File.WriteAllTextAsync(sandbox.ConsoleFile, new string('x', 4096));

        var start = await sandbox.RunAsync("start", "--Service:ConsoleFileSizeLimit=1024", "--Logic:Plugin=NoSuchPlugin");

        Assert.Equal(3, start.ExitCode);
        Assert.Contains("Logic:Plugin 'NoSuchPlugin' was not found", start.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("xxxx", start.Error, StringComparison.Ordinal);
    }
}
