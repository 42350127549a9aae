using PluggableNet.Tests.Infrastructure;
using Serilog.Events;

namespace PluggableNet.Tests.Hardening;

public sealed class MaxConnectionsTests
{
    private const string RejectedLog = "the connection limit (5) is reached (Limits:MaxConnections";

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ConnectionsBeyondTheLimitAreClosedAtOnceAndServiceRecovers(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:MaxConnections", "5"));
        var admitted = new List<FrameClient>();
        var refused = new List<FrameClient>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                admitted.Add(server.Connect());
                Assert.Equal($"{i}-a", await admitted[i].AskAsync($"a-{i}"));
            }

            for (var i = 0; i < 12; i++)
            {
                refused.Add(server.Connect());
            }

            foreach (var client in refused)
            {
                Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "a connection over the limit was not closed");
            }

            Assert.True(server.Server.Metrics.RejectedConnections >= 12);

            // Logged as a rate: every rejection is counted, in at most one event per second.
            await Wait.UntilAsync(() => LoggedRejections(server) >= 12, because: "all rejections logged");
            var times = server.Log.Events.Where(e => e.RenderMessage().Contains(RejectedLog, StringComparison.Ordinal)).Select(e => e.Timestamp).ToList();
            for (var i = 1; i < times.Count; i++)
            {
                Assert.True(times[i] - times[i - 1] >= TimeSpan.FromMilliseconds(900), "rejections logged more than once a second");
            }

            for (var i = 0; i < 5; i++)
            {
                Assert.Equal($"{i}-b", await admitted[i].AskAsync($"b-{i}"));
            }

            admitted[0].Dispose();
            admitted[1].Dispose();
            await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections <= 3, because: "closed connections leave the count");

            using var again = server.Connect();
            Assert.Equal("niaga", await again.AskAsync("again"));
        }
        finally
        {
            admitted.Concat(refused).ToList().ForEach(c => c.Dispose());
        }
    }

    private static long LoggedRejections(TestServer server) => server.Log.Events
        .Where(e => e.Level == LogEventLevel.Warning && e.RenderMessage().Contains(RejectedLog, StringComparison.Ordinal))
        .Sum(e => e.Properties.TryGetValue("Count", out var count) && count is ScalarValue { Value: long n } ? n : 0);
}
