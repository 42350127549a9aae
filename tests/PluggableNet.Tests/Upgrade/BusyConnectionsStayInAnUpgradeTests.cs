using System.Net.Sockets;
using PluggableNet.Tests.Hardening;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Upgrade;

/// <summary>
/// A connection still busy at <c>Server:UpgradeTimeout</c> stays on the old host and closes with its drain, while an idle one beside it moves and is answered by the new host after the old one has exited.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BusyConnectionsStayInAnUpgradeTests
{
    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ABusyConnectionClosesWithTheOldHostsDrainAndAnIdleOneMoves(string transport)
    {
        await using var host = await UpgradedHost.StartAsync(transport, [.. StuckPlugin.Arguments, "--Server:UpgradeTimeout=1"]);
        using var idle = FrameClient.Connect(host.EndPoint);
        Assert.Equal("cba", await idle.AskAsync("abc"));
        using var busy = await V2Connection.OpenAsync(host.EndPoint);
        var marker = Path.Combine(StuckPlugin.Directory, $"running-{Guid.NewGuid():N}");
        await busy.RequestAsync(1, "stuck:" + marker);
        await Wait.UntilAsync(() => File.Exists(marker), TimeSpan.FromSeconds(10), "the stuck call started");

        var result = await host.UpgradeAsync();
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("1 connection(s) moved, 1 stay to drain", result.Output, StringComparison.Ordinal);

        // The busy one stays on the old host, whose drain (Server:DrainTimeout 5 s) cuts the call that never ends; a v2
        // connection gets GOAWAY once its calls are answered, which this one never is. It closes, it does not hang.
        try
        {
            await busy.ReadToEndAsync(TimeSpan.FromSeconds(20));
        }
        catch (SocketException)
        {
            // A reset is a close too.
        }

        var oldExit = await host.First.Process.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, oldExit.ExitCode);

        // The old host is gone; the idle connection, moved, is answered by the new one.
        Assert.Equal("fed", await idle.AskAsync("def"));
    }
}
