using System.Diagnostics;
using System.Net.Sockets;
using PluggableNet.Tests.Hardening;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

/// <summary>
/// SIGTERM while a SIGHUP swap waits for a call that never ends: the host stops accepting at once and exits within
/// <c>Server:DrainTimeout</c> plus a small margin, not after <c>Logic:SwapDrainTimeout</c>.
/// </summary>
public sealed class SigtermDuringSwapTests
{
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_refusedWithin = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_exitMargin = TimeSpan.FromSeconds(3);

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task SigtermStopsAcceptingAtOnceAndTheStopRespectsTheDrainTimeout(string transport)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var host = await RunningHost.StartAsync(
            transport,
            [.. StuckPlugin.Arguments, $"--Server:DrainTimeout={s_drainTimeout.TotalSeconds}", "--Limits:ProcessTimeout=0"]);
        using var stuck = host.Connect();
        await StuckPlugin.StartStuckCallAsync(stuck);

        // The swap publishes generation 2, then waits (Logic:SwapDrainTimeout, 30 s) for the call pinning generation 1.
        await host.SignalAsync(RunningHost.Sighup);
        await host.StatusAsync(s => s.Generation == 2);
        Assert.DoesNotContain("Swapped plugin", host.Process.Output, StringComparison.Ordinal);
        using (var during = host.Connect())
        {
            Assert.Equal("cba", await during.AskAsync("abc"));
        }

        var signalled = Stopwatch.StartNew();
        await host.SignalAsync(RunningHost.Sigterm);
        await Wait.UntilAsync(() => Refused(host), s_refusedWithin + TimeSpan.FromSeconds(30), $"new connections refused after SIGTERM; output: {host.Process.Output}{host.Process.Error}");
        var refusedAfter = signalled.Elapsed;

        var result = await host.Process.WaitAsync(s_drainTimeout + s_exitMargin + TimeSpan.FromSeconds(30));
        var exitedAfter = signalled.Elapsed;
        Assert.True(refusedAfter < s_refusedWithin, $"still accepting {refusedAfter} after SIGTERM");
        Assert.True(exitedAfter < s_drainTimeout + s_exitMargin, $"exited {exitedAfter} after SIGTERM (DrainTimeout {s_drainTimeout}); {result}");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("1 cut at the deadline", result.Output, StringComparison.Ordinal);
    }

    /// <summary>Whether a new connect is refused: the listener is closed.</summary>
    private static bool Refused(RunningHost host)
    {
        try
        {
            using var client = host.Connect();
            return false;
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }
}
