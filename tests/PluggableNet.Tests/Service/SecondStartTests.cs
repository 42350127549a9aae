namespace PluggableNet.Tests.Service;

public sealed class SecondStartTests
{
    [LinuxFact]
    public async Task SecondStartFailsClearlyAndLeavesTheFirstUntouched()
    {
        await using var sandbox = new ServiceSandbox();
        var first = await sandbox.RunAsync("start");
        Assert.True(first.ExitCode == 0, first.ToString());
        var pid = sandbox.ReadPid();
        var port = (await sandbox.StatusAsync())!.Port;

        var second = await sandbox.RunAsync("start");

        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains($"already running, pid {pid}", second.Error, StringComparison.Ordinal);
        Assert.Equal(pid, sandbox.ReadPid());
        var status = await sandbox.StatusAsync();
        Assert.NotNull(status);
        Assert.Equal(pid, status.Pid);
        Assert.Equal(port, status.Port);
        using var client = Infrastructure.FrameClient.Connect(await sandbox.EndPointAsync());
        Assert.Equal("edcba", await client.AskAsync("abcde"));
    }

    [LinuxFact]
    public async Task ConcurrentStartsRunExactlyOneHost()
    {
        await using var sandbox = new ServiceSandbox();

        var results = await Task.WhenAll(sandbox.RunAsync("start"), sandbox.RunAsync("start"));

        Assert.Single(results, r => r.ExitCode == 0);
        var loser = Assert.Single(results, r => r.ExitCode != 0);
        Assert.Contains("already running", loser.Error, StringComparison.Ordinal);
        var status = await sandbox.StatusAsync();
        Assert.NotNull(status);
        Assert.Equal(sandbox.ReadPid(), status.Pid);
    }
}
