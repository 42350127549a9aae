using System.Net.Sockets;
using System.Text.RegularExpressions;
using PluggableNet.Server.Interop;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Upgrade;

/// <summary>
/// SIGKILL of either host while connections move (docs/upgrade.md, "Who owns a moved connection"). The new host
/// pauses after adopting each connection (before it answers), so the test kills at that step. Every client connection
/// ends either served (by the host that owns it) or closed: none is left open with nobody serving it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class KillWhileConnectionsMoveTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> s_pauseAfterAdopting = new()
    {
        ["PLUGGABLENET_UPGRADE_TEST_DELAY"] = "adopted:4000",
        ["PLUGGABLENET_Logic__Plugin"] = "Upper",
    };

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task KillingTheNewHostRightAfterItAdoptedClosesTheMovedConnectionsAndTheOldHostExits(string transport)
    {
        await using var host = await UpgradedHost.StartAsync(transport, environment: s_pauseAfterAdopting);
        using var v1 = FrameClient.Connect(host.EndPoint);
        using var v2 = await V2Connection.OpenAsync(host.EndPoint);
        var (upgrade, newPid) = await UpgradeUntilTheNewHostAdoptedOneAsync(host, v1, v2);
        Assert.Equal(0, Libc.kill(newPid, Libc.SIGKILL));

        // The connection the new host held died with it; the old host closes its own copy of it and of the one it was
        // about to send: each client sees its connection end (FIN or reset) in bounded time, none hangs.
        var outcomes = new[] { await OutcomeAsync(v1.Socket), await OutcomeAsync(v2.Socket) };
        output.WriteLine(host.First.Process.Output);
        Assert.Equal(["closed", "closed"], outcomes);
        var result = await upgrade;
        output.WriteLine(result.Output.Trim() + result.Error.Trim());
        Assert.Contains("the channel broke", result.Output, StringComparison.Ordinal);

        // The old host had already stopped accepting and let go: it drains what stayed and exits, as after any upgrade.
        var oldExit = await host.First.Process.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, oldExit.ExitCode);
    }

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task KillingTheOldHostMidHandOverLeavesTheAdoptedConnectionServedAndTheRestClosed(string transport)
    {
        await using var host = await UpgradedHost.StartAsync(transport, environment: s_pauseAfterAdopting);
        using var v1 = FrameClient.Connect(host.EndPoint);
        using var v2 = await V2Connection.OpenAsync(host.EndPoint);
        var (upgrade, newPid) = await UpgradeUntilTheNewHostAdoptedOneAsync(host, v1, v2);
        Assert.Equal(0, Libc.kill(host.First.Process.Id, Libc.SIGKILL));

        // The first connection is the new host's (it holds the descriptor); the other was still the old host's and
        // closed with it. Which of the two went first is the old host's choice.
        var outcomes = new[] { await AskAsync(() => v1.AskAsync("two")), await AskAsync(() => v2.AskAsync(2, "two")) };
        output.WriteLine($"{transport}: v1 {outcomes[0]}, v2 {outcomes[1]}");
        Assert.Equal(["closed", "owt"], outcomes.Order(StringComparer.Ordinal));
        await host.ServingAsync(s => s.Pid == newPid);
        using var fresh = FrameClient.Connect(host.EndPoint);
        Assert.Equal("cba", await fresh.AskAsync("abc"));
        await upgrade;
    }

    /// <summary>
    /// Both clients answered by the first build, then an upgrade to the Reverse build, up to the new host's pause after it
    /// adopted a connection: the step at which the tests kill one host. The upgrade's result, and the new host's pid.
    /// </summary>
    private static async Task<(Task<HostResult> Upgrade, int NewPid)> UpgradeUntilTheNewHostAdoptedOneAsync(UpgradedHost host, FrameClient v1, V2Connection v2)
    {
        var reverse = host.Build("build-reverse", "PLUGGABLENET_Logic__Plugin=Reverse");
        Assert.Equal("ONE", await v1.AskAsync("one"));
        Assert.Equal("ONE", await v2.AskAsync(1, "one"));

        var upgrade = host.UpgradeAsync(reverse);
        var newPid = await NewHostPidAsync(host);
        host.Track(newPid);
        await host.First.Process.WaitForOutputAsync("Upgrade: test delay after adopting a connection");
        return (upgrade, newPid);
    }

    /// <summary>The answer, or "closed" when the connection ended first; a hang fails the test (a read timeout).</summary>
    private static async Task<string> AskAsync(Func<Task<string>> ask)
    {
        try
        {
            return await ask();
        }
        catch (Exception exception) when (exception is EndOfStreamException or SocketException or IOException)
        {
            return "closed";
        }
    }

    /// <summary>"closed" once the peer ends the connection (FIN or reset) within 20 s; anything received before is skipped.</summary>
    private static async Task<string> OutcomeAsync(Socket socket)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation.Token) > 0)
            {
            }

            return "closed";
        }
        catch (SocketException)
        {
            return "closed";
        }
        catch (OperationCanceledException)
        {
            return "still open after 20 s";
        }
    }

    private static async Task<int> NewHostPidAsync(UpgradedHost host)
    {
        Match? match = null;
        await Wait.UntilAsync(() => (match = StartedPid().Match(host.First.Process.Output)).Success, TimeSpan.FromSeconds(20), "the new host to be started");
        return int.Parse(match!.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"Upgrade: started the new host, pid (\d+)")]
    private static partial Regex StartedPid();
}
