using System.Text.RegularExpressions;
using PluggableNet.Server.Interop;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Upgrade;

/// <summary>
/// SIGKILL of either host at each step of the hand-over (docs/upgrade.md, "Failure outcomes"): before the new host
/// accepts, the old one still does, so killing the new one changes nothing; once the new host holds the sockets,
/// killing the old one leaves the new one serving; in neither case is a connect refused. The connections the killed
/// process had are closed by the kernel (the client sees it), never left open with nobody serving them.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class KillDuringHandOverTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> s_pauseAfterSockets = new() { ["PLUGGABLENET_UPGRADE_TEST_DELAY"] = "listeners:3000" };

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task KillingTheNewHostOnceItHasTheSocketsButBeforeItAcceptsLeavesTheOldServing(string transport)
    {
        await using var host = await UpgradedHost.StartAsync(transport, environment: s_pauseAfterSockets);
        var before = await host.ServingAsync(_ => true);
        await using var load = ReconnectingLoad.Start(host.EndPoint, connections: 4, depth: 4, Reverse);
        var (upgrade, newPid) = await UpgradeUntilTheNewHostHoldsTheSocketsAsync(host, load);
        Assert.Equal(0, Libc.kill(newPid, Libc.SIGKILL));

        var result = await upgrade;
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("this host serves on", result.Error, StringComparison.Ordinal);
        output.WriteLine(result.Error.Trim());
        Assert.Equal(before.Pid, (await host.ServingAsync(_ => true)).Pid);
        await load.AnswersGrowAsync(200);
        await load.StopAsync();
        Assert.True(load.Refused == 0 && load.Failed == 0 && load.Wrong == 0, load.ToString());
    }

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task KillingTheOldHostOnceItLentTheSocketsLeavesTheNewServing(string transport)
    {
        await using var host = await UpgradedHost.StartAsync(transport, environment: s_pauseAfterSockets);
        var before = await host.ServingAsync(_ => true);
        await using var load = ReconnectingLoad.Start(host.EndPoint, connections: 4, depth: 4, Reverse);
        var (upgrade, newPid) = await UpgradeUntilTheNewHostHoldsTheSocketsAsync(host, load);
        Assert.Equal(0, Libc.kill(host.First.Process.Id, Libc.SIGKILL));

        // The new host never hears Serving confirmed; it holds the sockets and serves on, and takes the control socket.
        var after = await host.ServingAsync(s => s.Pid == newPid);
        Assert.NotEqual(before.Pid, after.Pid);
        await load.AnswersGrowAsync(200);
        await load.StopAsync();
        output.WriteLine($"{transport}: {load}; verb: {(await upgrade).Error.Trim()}");

        // No connect refused: the socket stayed open in the new host throughout. What the old host had in flight
        // failed with it (its connections were reset by the kernel), as with any crash.
        Assert.True(load.Refused == 0 && load.Wrong == 0, load.ToString());
    }

    [LinuxFact]
    public async Task KillingTheOldHostBeforeTheNewOneConnectsEndsTheNewOneToo()
    {
        await using var host = await UpgradedHost.StartAsync("Epoll");
        var slowStart = host.Script("slow-start", $"sleep 2\nexec \"{ChildProcess.Dotnet}\" \"{TestPaths.HostDll}\" \"$@\"");
        var upgrade = host.UpgradeAsync(slowStart);
        var newPid = await NewHostPidAsync(host);
        host.Track(newPid);
        Assert.Equal(0, Libc.kill(host.First.Process.Id, Libc.SIGKILL));

        // Nobody to take the sockets from: the new host says why and exits (a supervisor restarts the service).
        await Wait.UntilAsync(() => !ServiceSandbox.IsAlive(newPid), TimeSpan.FromSeconds(30), "the orphaned new host to exit");
        var result = await upgrade;
        Assert.Equal(1, result.ExitCode);
    }

    /// <summary>Under load, starts an upgrade and returns once the new host (tracked: it is killed at the end) holds the sockets; it pauses there.</summary>
    private static async Task<(Task<HostResult> Upgrade, int NewPid)> UpgradeUntilTheNewHostHoldsTheSocketsAsync(UpgradedHost host, ReconnectingLoad load)
    {
        await load.AnswersGrowAsync(100);
        var upgrade = host.UpgradeAsync();
        var newPid = await NewHostPidAsync(host);
        host.Track(newPid);
        await host.First.Process.WaitForOutputAsync("Upgrade: received 1 listening socket(s)");
        return (upgrade, newPid);
    }

    private static async Task<int> NewHostPidAsync(UpgradedHost host)
    {
        Match? match = null;
        await Wait.UntilAsync(() => (match = StartedPid().Match(host.First.Process.Output)).Success, TimeSpan.FromSeconds(20), "the new host to be started");
        return int.Parse(match!.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"Upgrade: started the new host, pid (\d+)")]
    private static partial Regex StartedPid();

    private static string Reverse(string text) => new([.. text.Reverse()]);
}
