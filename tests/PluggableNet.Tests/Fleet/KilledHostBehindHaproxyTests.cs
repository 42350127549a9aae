using System.Diagnostics;
using PluggableNet.Client;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Fleet;

/// <summary>
/// One of three hosts killed with SIGKILL under load (and not restarted at once, as a crashed machine): HAProxy takes
/// it out within its check interval, clients that mark requests safe to retry see no failure, clients that do not
/// see only the requests that were in flight on that host fail, each with a clear exception, and nothing hangs.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class KilledHostBehindHaproxyTests(ITestOutputHelper output)
{
    // haproxy.cfg: inter 1s, fall 2, fastinter 250ms: the first failed check at most 1 s after the kill, the second 250 ms later.
    private static readonly TimeSpan s_markedDownWithin = TimeSpan.FromSeconds(1.25 + 1.25);

    [Fact]
    public async Task OnlyRequestsInFlightOnTheKilledHostFailAndOnlyWithoutRetry()
    {
        await using var fleet = await HostFleet.StartAsync();
        await using var retrying = ClientLoad.Start(fleet.Haproxy.EndPoint, callers: 16, HostFleet.Version, idempotent: true);
        await using var plain = ClientLoad.Start(fleet.Haproxy.EndPoint, callers: 16, HostFleet.Version, idempotent: false);
        await Task.WhenAll(retrying.AnswersGrowAsync(300), plain.AnswersGrowAsync(300));
        await fleet.Haproxy.WaitUntilAsync(s => s["host2"].Sessions > 0, TimeSpan.FromSeconds(10), "clients connected through host2");

        var victim = fleet.Hosts[1];
        victim.Hold(true);
        var killedAt = Stopwatch.StartNew();
        victim.Signal(9);
        await fleet.Haproxy.WaitUntilAsync(s => !s["host2"].Up, TimeSpan.FromSeconds(10), "host2 marked down");
        var markedDown = killedAt.Elapsed;
        await Task.WhenAll(retrying.AnswersGrowAsync(300), plain.AnswersGrowAsync(300));

        victim.Hold(false);
        await victim.WaitForStartsAsync(2);
        await fleet.Haproxy.WaitUntilAsync(s => s.Values.All(v => v.InRotation), TimeSpan.FromSeconds(15), "every server up and in rotation again");
        await Task.WhenAll(retrying.AnswersGrowAsync(100), plain.AnswersGrowAsync(100));

        // Nothing hangs: every request sent has ended, answered or failed, well within the request timeout.
        await Task.WhenAll(retrying.StopAsync(), plain.StopAsync()).WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"HAProxy marked host2 down {markedDown.TotalMilliseconds:F0} ms after SIGKILL");
        output.WriteLine($"retrying client: {retrying}");
        output.WriteLine($"plain client:    {plain}");

        Assert.True(markedDown <= s_markedDownWithin, $"marked down after {markedDown}");
        Assert.Empty(retrying.Failures);
        Assert.Equal(0, retrying.Wrong + plain.Wrong);
        Assert.Equal(plain.Sent, plain.Answered + plain.Failures.Count);
        Assert.Equal(retrying.Sent, retrying.Answered);

        // The plain client loses at most what was waiting on host2 when it died, and says why. HAProxy ends those
        // client connections either with a reset (cut in flight) or with a FIN at a frame boundary, which the client
        // takes for a graceful close and resends; a resent request can meet the client's other connections that HAProxy
        // routed to host2 and is closing in turn, and fails after MaxResendsOnGracefulClose such closes (CI saw one).
        Assert.True(plain.Failures.Count <= plain.CutInFlight + plain.Resent, plain.ToString());
        Assert.All(plain.Failures, failure =>
        {
            var exception = Assert.IsType<PluggableNetConnectionException>(failure);
            Assert.True(exception.MayHaveBeenProcessed);
            Assert.True(
                exception.Message.Contains("before the answer arrived", StringComparison.Ordinal) ||
                exception.Message.Contains("time(s) without answering this request", StringComparison.Ordinal),
                exception.Message);
        });
    }
}
