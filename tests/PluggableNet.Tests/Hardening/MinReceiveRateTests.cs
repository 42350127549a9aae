using System.Diagnostics;
using System.Text;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// Once a header is known, its payload is judged by its rate, not by a total time: a large frame on a slow link
/// completes, a trickle that would hold the connection open for ever is cut.
/// </summary>
public sealed class MinReceiveRateTests(ITestOutputHelper output)
{
    private static readonly (string, string)[] s_limits =
    [
        ("Limits:ReadTimeout", "1"), ("Limits:MinReceiveRate", "1000"), ("Limits:MinReceiveRateGrace", "0.5"), ("Limits:IdleTimeout", "0"),
    ];

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ASlowLinkAboveTheRateCompletesAFrameThatTakesLongerThanTheReadTimeout(string transport)
    {
        await using var server = TestServer.Start(transport, s_limits);
        using var client = server.Connect();
        var payload = new string('s', 8000);
        var frame = Encoding.ASCII.GetBytes("08000" + payload);
        var watch = Stopwatch.StartNew();

        // About 5,000 bytes a second, five times the minimum rate (a busy test machine may stretch the pauses), so
        // 1.6 s for a frame the read timeout alone would cut at 1 s.
        for (var offset = 0; offset < frame.Length; offset += 250)
        {
            await client.SendRawAsync(frame.AsMemory(offset, Math.Min(250, frame.Length - offset)));
            await Task.Delay(50);
        }

        Assert.True(payload == await client.ReadStringAsync(), string.Join(Environment.NewLine, server.Log.Messages()));
        output.WriteLine($"{transport}: 8,005 bytes over {watch.Elapsed.TotalSeconds:F1} s answered");
        Assert.True(watch.Elapsed > TimeSpan.FromSeconds(1), "the frame arrived faster than the read timeout; the test proves nothing");
        Assert.Equal(0, server.Server.Metrics.Timeouts);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ATrickleBelowTheRateIsCutAfterTheGracePeriod(string transport)
    {
        await using var server = TestServer.Start(transport, s_limits);
        using var client = server.Connect();
        using var bystander = server.Connect();
        var watch = Stopwatch.StartNew();

        await client.SendRawAsync("50000");
        var closed = Task.Run(() => client.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        for (var i = 0; i < 30 && !closed.IsCompleted; i++)
        {
            // Ten bytes a second: a connection held open at almost no cost to the sender.
            await client.SendRawAsync("x").ContinueWith(_ => { }, TaskScheduler.Default);
            await Task.Delay(100);
        }

        Assert.True(await closed, "a trickle was kept open");
        output.WriteLine($"{transport}: trickle cut after {watch.Elapsed.TotalSeconds:F1} s");
        await server.Log.WaitForAsync("closed: ReceiveTooSlow after");
        Assert.Equal("cba", await bystander.AskAsync("abc"));
    }
}
