using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Upgrade;

/// <summary>
/// <c>upgrade</c> on real host processes under pipelined load: the new host takes the listening socket over and the
/// old one drains, with no connect refused; counters, status and the control socket follow the new process.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostUpgradeTests(ITestOutputHelper output)
{
    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnUpgradeUnderLoadRefusesNoConnectionAndTheNewHostCarriesOn(string transport)
    {
        await using var host = await UpgradedHost.StartAsync(transport);
        await using var load = ReconnectingLoad.Start(host.EndPoint, connections: 8, depth: 4, Reverse);
        await load.AnswersGrowAsync(300);
        var before = await host.ServingAsync(_ => true);

        var result = await host.UpgradeAsync();
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("upgraded: pid ", result.Output, StringComparison.Ordinal);

        var after = await host.ServingAsync(s => s.Pid != before.Pid);
        Assert.NotNull(after.UpgradedAt);
        Assert.Contains($"pid {before.Pid}", after.UpgradedFrom, StringComparison.Ordinal);
        Assert.Equal(before.Port, after.Port);

        // Counters continue from the old host's totals.
        Assert.True(after.Requests >= before.Requests, $"requests {before.Requests} then {after.Requests}");
        Assert.True(after.AcceptedConnections >= before.AcceptedConnections, $"accepted {before.AcceptedConnections} then {after.AcceptedConnections}");

        await load.AnswersGrowAsync(300);
        var oldExit = await host.First.Process.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, oldExit.ExitCode);
        await load.AnswersGrowAsync(300);
        await load.StopAsync();
        output.WriteLine($"{transport}: {load}");
        Assert.True(load.Refused == 0 && load.Failed == 0 && load.Wrong == 0, load.ToString());
    }

    [LinuxTheory]
    [MemberData(nameof(Failures))]
    public async Task ANewHostThatFailsBeforeItServesLeavesTheOldHostServing(string transport, string failure)
    {
        await using var host = await UpgradedHost.StartAsync(transport);
        var before = await host.ServingAsync(_ => true);
        await using var load = ReconnectingLoad.Start(host.EndPoint, connections: 4, depth: 4, Reverse);
        await load.AnswersGrowAsync(100);

        var (binary, expected) = failure switch
        {
            "crash" => (host.Script("crash", "kill -SEGV $$"), "crashed"),
            "hang" => (host.Script("hang", "exec sleep 600"), "did not connect to the hand-over channel within 3 s; it was killed"),
            "configuration" => (host.Script("bad-config", $"exec \"{ChildProcess.Dotnet}\" \"{TestPaths.HostDll}\" \"$@\" --Server:Port=not-a-port"), "could not start: Invalid configuration: Server:Port: 'not-a-port'"),
            _ => throw new ArgumentException(failure),
        };

        var result = await host.UpgradeAsync(binary, timeoutSeconds: 3);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Contains("this host serves on", result.Error, StringComparison.Ordinal);
        output.WriteLine($"{transport} {failure}: {result.Error.Trim()}");

        // Nothing changed: the same process answers, accepts, and can still be upgraded.
        var after = await host.ServingAsync(_ => true);
        Assert.Equal(before.Pid, after.Pid);
        await load.AnswersGrowAsync(100);
        using (var client = FrameClient.Connect(host.EndPoint))
        {
            Assert.Equal("cba", await client.AskAsync("abc"));
        }

        await load.StopAsync();
        Assert.True(load.Refused == 0 && load.Failed == 0 && load.Wrong == 0, load.ToString());
        var retry = await host.UpgradeAsync();
        Assert.True(retry.ExitCode == 0, retry.ToString());
    }

    [LinuxFact]
    public async Task ANewHostSpeakingAnotherProtocolVersionIsRefusedCleanly()
    {
        // The variable reaches the new host only (the old one reads it only when it is itself a new host).
        await using var host = await UpgradedHost.StartAsync("Epoll", environment: new Dictionary<string, string> { ["PLUGGABLENET_UPGRADE_PROTOCOL_VERSION"] = "99" });
        var before = await host.ServingAsync(_ => true);

        var result = await host.UpgradeAsync();
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"speaks hand-over protocol version 99, this host version {PluggableNet.Host.Upgrade.HandOverProtocol.Version}", result.Error, StringComparison.Ordinal);
        Assert.Equal(before.Pid, (await host.ServingAsync(_ => true)).Pid);
        await host.First.Process.WaitForOutputAsync("Upgrade refused by the old host");
    }

    [LinuxFact]
    public async Task TwoUpgradesAtOnceAreRefusedAndSoIsOneDuringADrain()
    {
        await using var host = await UpgradedHost.StartAsync("Sockets", ["--Health:DrainDelay=00:00:05"]);
        var slow = host.Script("slow", "exec sleep 600");
        var first = host.UpgradeAsync(slow, timeoutSeconds: 4);
        await host.First.Process.WaitForOutputAsync("Upgrade: started the new host");
        var second = await host.UpgradeAsync();
        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Contains("refused: an upgrade is already in progress", second.Error, StringComparison.Ordinal);
        Assert.Equal(1, (await first).ExitCode);

        // A draining host (SIGTERM, still answering status through Health:DrainDelay) is not upgraded.
        await host.First.SignalAsync(RunningHost.Sigterm);
        await host.First.Process.WaitForOutputAsync("Stopping: not ready");
        var during = await host.UpgradeAsync();
        Assert.True(during.ExitCode == 1, during.ToString());
        Assert.Contains("refused: the host is draining", during.Error, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Sigusr2UpgradesToTheHostsOwnProgramAsNginxDoes()
    {
        await using var host = await UpgradedHost.StartAsync("Epoll");
        var before = await host.ServingAsync(_ => true);
        await host.First.SignalAsync(12);
        var after = await host.ServingAsync(s => s.Pid != before.Pid);
        Assert.Contains($"pid {before.Pid}", after.UpgradedFrom, StringComparison.Ordinal);
        await host.First.Process.WaitForOutputAsync("SIGUSR2: upgraded: pid " + after.Pid);
        using var client = FrameClient.Connect(host.EndPoint);
        Assert.Equal("cba", await client.AskAsync("abc"));
    }

    [LinuxFact]
    public async Task AnUpgradeDuringAPluginSwapIsRefusedWithAClearWord()
    {
        await using var host = await UpgradedHost.StartAsync("Epoll", [.. Hardening.StuckPlugin.Arguments, "--Limits:ProcessTimeout=0"]);
        using var stuck = FrameClient.Connect(host.EndPoint);
        await Hardening.StuckPlugin.StartStuckCallAsync(stuck);

        // The swap publishes generation 2, then holds the swap lock while the stuck call pins generation 1.
        await host.First.SignalAsync(RunningHost.Sighup);
        await host.First.StatusAsync(s => s.Generation == 2);
        var result = await host.UpgradeAsync();
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("refused: a plugin swap is in progress", result.Error, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Failures()
    {
        var data = new TheoryData<string, string>();
        foreach (var transport in new[] { "Epoll", "Sockets" })
        {
            foreach (var failure in new[] { "crash", "hang", "configuration" })
            {
                data.Add(transport, failure);
            }
        }

        return data;
    }

    private static string Reverse(string text) => new([.. text.Reverse()]);
}
