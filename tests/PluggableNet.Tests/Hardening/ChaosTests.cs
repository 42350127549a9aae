using System.Diagnostics;
using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;
using static PluggableNet.Tests.Hardening.Misbehavior;

namespace PluggableNet.Tests.Hardening;

public sealed class ChaosTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_duration = TimeSpan.FromSeconds(5);

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task WellBehavedClientsSeeNoErrorsWhileOthersMisbehave(string transport)
    {
        await using var server = TestServer.Start(
            transport,
            // Short enough that slowloris and idle clients are cut several times within the run, long enough that a
            // well-behaved client stalled by a busy test machine (other tests run in parallel) is not mistaken for one.
            ("Limits:ReadTimeout", "1.5"),
            ("Limits:IdleTimeout", "2"),
            ("Limits:MaxPendingWriteBytes", "65536"),
            ("Limits:MinReceiveRateGrace", "1"));
        using var stop = new CancellationTokenSource(s_duration);
        var watch = Stopwatch.StartNew();

        var wellBehaved = Enumerable.Range(0, 8).Select(i => WellBehavedAsync(server.Connect(), i, stop.Token)).ToList();
        var misbehaving = new List<Task<int>>
        {
            RepeatAsync(stop.Token, () => GarbageAsync(server.EndPoint, 1)),
            RepeatAsync(stop.Token, () => GarbageAsync(server.EndPoint, 2)),
            RepeatAsync(stop.Token, () => SlowlorisAsync(server.EndPoint)),
            RepeatAsync(stop.Token, () => NonReaderAsync(server.EndPoint)),
            RepeatAsync(stop.Token, () => ResetterAsync(server.EndPoint)),
            RepeatAsync(stop.Token, () => IdlerAsync(server.EndPoint)),
            RepeatAsync(stop.Token, () => AnnouncerAsync(server.EndPoint)),
            RepeatAsync(stop.Token, () => AnnouncerAsync(server.EndPoint)),
            RepeatAsync(stop.Token, () => LogFlooderAsync(server.EndPoint)),
        };

        var answers = await Task.WhenAll(wellBehaved);
        var mischief = await Task.WhenAll(misbehaving);
        output.WriteLine($"{transport}: {answers.Sum()} answers verified by 8 clients in {watch.Elapsed}; misbehaving connections: {string.Join(", ", mischief)}; protocol errors {server.Server.Metrics.ProtocolErrors}, timeouts {server.Server.Metrics.Timeouts}");

        Assert.All(answers, count => Assert.True(count > 0));
        await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == 0, because: "every connection to be released");
        Assert.DoesNotContain(server.Log.Events, e => e.Level >= Serilog.Events.LogEventLevel.Error);

        // Thousands of bad headers, a handful of lines: one in full per second and kind, the rest summed up.
        var badHeaderLines = server.Log.Events.Count(e => LogCapture.Render(e).Contains("invalid frame header", StringComparison.Ordinal));
        Assert.True(badHeaderLines <= 3 * ((int)watch.Elapsed.TotalSeconds + 2), $"{badHeaderLines} bad-header lines for {server.Server.Metrics.ProtocolErrors} bad headers");
    }
}
