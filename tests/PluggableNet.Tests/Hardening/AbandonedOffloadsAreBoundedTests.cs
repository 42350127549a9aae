using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// Calls the host gave up on (their connection was cut) but that never end: a swap does not wait for them,
/// <c>status</c> reports them, and beyond <c>Limits:MaxAbandonedOffloads</c> each keeps its offload slot.
/// </summary>
public sealed class AbandonedOffloadsAreBoundedTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AbandonedCallsAreReportedBoundedAndNotWaitedForBySwaps(string transport)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var host = await RunningHost.StartAsync(
            transport,
            [.. StuckPlugin.Arguments, "--Limits:ProcessTimeout=0.3", "--Limits:MaxConcurrentOffloads=2", "--Limits:MaxAbandonedOffloads=2"]);
        for (var i = 0; i < 3; i++)
        {
            await AbandonStuckCallAsync(host);
        }

        // Logic:SwapDrainTimeout is 30 s: the swap must not spend it on the three calls nobody wants any more.
        await host.SignalAsync(RunningHost.Sighup);
        await host.Process.WaitForOutputAsync("Swapped plugin", TimeSpan.FromSeconds(5));

        var status = await host.StatusAsync(s => s.Generation == 2);
        Assert.Equal(3, status.AbandonedOffloads);
        // Their requests and the answers they wrote before getting stuck, which can grow no further than the largest frame.
        Assert.InRange(status.AbandonedOffloadBytes, 3 * StuckPlugin.StuckAnswerBytes, 3 * 1024 * 1024);

        // What an operator types shows them too, not only `status --json`.
        var typed = await HostProcess.RunAsync(["status", $"--Control:Socket={host.ControlSocket}"]);
        Assert.Contains("abandoned:    3 offloaded call(s) still running", typed.Output, StringComparison.Ordinal);

        // Two abandoned calls give their slots back; the third keeps one, so one of the two slots is left.
        using (var good = host.Connect())
        {
            Assert.Equal("cba", await good.AskAsync("abc"));
        }

        // A fourth beyond the limit takes the last slot: new offloaded work waits instead of piling up.
        await AbandonStuckCallAsync(host);
        await host.StatusAsync(s => s.AbandonedOffloads == 4);
        using var waiting = host.Connect();
        await waiting.SendAsync("abc");
        Assert.Null(await AnswerWithinAsync(waiting, TimeSpan.FromSeconds(1)));
        Assert.False(host.Process.HasExited);
    }

    private static async Task<string?> AnswerWithinAsync(FrameClient client, TimeSpan timeout)
    {
        try
        {
            return await client.ReadStringAsync(timeout);
        }
        catch (Exception exception) when (exception is OperationCanceledException or EndOfStreamException or System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    private static async Task AbandonStuckCallAsync(RunningHost host)
    {
        using var client = host.Connect();
        await StuckPlugin.StartStuckCallAsync(client);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the stuck call's connection was cut by Limits:ProcessTimeout");
    }
}
