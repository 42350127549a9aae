using System.Diagnostics;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

public sealed class OffloadCapTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AtMostTheCapRunsAtOnceAndTheRestWaitWithoutTimingOut(string transport)
    {
        // A read timeout shorter than the wait for a slot: waiting for the server is not a slow client.
        await using var server = HardeningPlugins.Start(
            transport,
            HardeningPlugins.Slow,
            ("Limits:MaxConcurrentOffloads", "2"),
            ("Limits:ReadTimeout", "0.2"));
        var clients = Enumerable.Range(0, 6).Select(_ => server.Connect()).ToList();
        try
        {
            var watch = Stopwatch.StartNew();
            var answers = await Task.WhenAll(clients.Select(c => c.AskAsync("sleep:300")));
            var elapsed = watch.Elapsed;

            var observed = answers.Select(int.Parse).ToList();
            Assert.All(observed, max => Assert.InRange(max, 1, 2));
            Assert.Equal(2, observed.Max());

            // Six requests through two slots take at least three rounds of 300 ms.
            Assert.True(elapsed >= TimeSpan.FromMilliseconds(850), $"all answered after {elapsed}: more than two ran at once");
            await server.Log.WaitForAsync("paused reading: all 2 offload slots busy");
            Assert.Equal(0, server.Server.Metrics.Timeouts);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }
}
