using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Fleet;

/// <summary>
/// systemd socket activation, run by systemd's own launcher (<c>systemd-socket-activate</c> binds the port and
/// passes it as fd 3 with LISTEN_FDS=1 and LISTEN_PID), restarted under continuous pipelined load as
/// <c>systemctl restart</c> does it: SIGTERM (the host drains and closes each connection at a frame boundary), then
/// the next host on the same socket. The kernel keeps queueing connections in between, so none is refused.
/// </summary>
public sealed class SocketActivatedRestartRefusesNoConnectionTests(ITestOutputHelper output)
{
    private const int Restarts = 3;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task RestartsUnderLoadRefuseNothingAndLoseNothing(string transport)
    {
        await using var host = await SupervisedHost.StartAsync(transport, socketActivated: true);
        // Logged just after the listening line the start waits for: it may not have been read yet.
        await Wait.UntilAsync(() => host.Output.Contains("Serving on the inherited listening socket fd 3", StringComparison.Ordinal), because: "the inherited socket to be announced");
        await using var load = ReconnectingLoad.Start(host.EndPoint, connections: 8, depth: 4, Reverse);
        await load.AnswersGrowAsync(500);

        for (var restart = 1; restart <= Restarts; restart++)
        {
            host.Signal(RunningHost.Sigterm);
            await host.WaitForStartsAsync(restart + 1);
            await load.AnswersGrowAsync(500);
        }

        await load.StopAsync();
        output.WriteLine($"{transport}: {Restarts} restarts: {load}");
        Assert.Equal(Enumerable.Repeat(0, Restarts), host.Exits);
        Assert.True(load.Refused == 0 && load.Failed == 0 && load.Wrong == 0, load.ToString());

        // Every restart closed the open connections gracefully: the drain is what the clients saw, not a reset.
        Assert.True(load.GracefulCloses >= Restarts, load.ToString());
    }

    /// <summary>
    /// The control: the same load and the same restarts with a host that binds the port itself. Between the old
    /// host's close and the new one's bind nothing listens, and connects are refused: what the test above would
    /// see if the inherited socket were not used.
    /// </summary>
    [Fact]
    public async Task WithoutSocketActivationTheSameRestartRefusesConnections()
    {
        await using var host = await SupervisedHost.StartAsync("Epoll", socketActivated: false);
        Assert.DoesNotContain("inherited", host.Output, StringComparison.Ordinal);
        await using var load = ReconnectingLoad.Start(host.EndPoint, connections: 8, depth: 4, Reverse);
        await load.AnswersGrowAsync(500);

        host.Signal(RunningHost.Sigterm);
        await host.WaitForStartsAsync(2);
        await load.AnswersGrowAsync(500);

        await load.StopAsync();
        output.WriteLine($"plain bind, 1 restart: {load}");
        Assert.True(load.Refused > 0, load.ToString());
        Assert.True(load.Failed == 0 && load.Wrong == 0, load.ToString());
    }

    private static string Reverse(string request)
    {
        var chars = request.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }
}
