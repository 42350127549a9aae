using System.Diagnostics;
using System.Text;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

public sealed class GracefulDrainTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task PipelinedRequestsJustSentAreAllAnsweredBeforeTheClose(string transport)
    {
        await using var server = TestServer.Start(transport, ("Server:DrainTimeout", "5"));
        using var client = server.Connect();
        Assert.Equal("ih", await client.AskAsync("hi"));
        var requests = Enumerable.Range(0, 500).Select(i => $"in-flight-{i}").ToList();

        await client.SendRawAsync(Frames.AsciiMany(requests));
        var reading = SocketHelpers.ReadToEndAsync(client.Socket, TimeSpan.FromSeconds(10));
        var watch = Stopwatch.StartNew();
        await server.Server.StopAsync();
        var stopTook = watch.Elapsed;

        var (bytes, cleanEof) = await reading;
        var expected = string.Concat(requests.Select(r => Encoding.ASCII.GetString(Frames.Ascii(SocketHelpers.Reverse(r)))));
        Assert.Equal(expected, Encoding.ASCII.GetString(bytes));
        Assert.True(cleanEof, "the drained connection was reset");
        Assert.True(stopTook < TimeSpan.FromSeconds(5), $"StopAsync took {stopTook}");
        await server.Log.WaitForAsync("Stopped: 1 connection(s) drained, 0 cut");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task SlowOffloadedRequestInProgressIsAnsweredBeforeTheClose(string transport)
    {
        await using var server = HardeningPlugins.Start(transport, HardeningPlugins.Slow, ("Server:DrainTimeout", "5"));
        using var idle = server.Connect();
        using var busy = server.Connect();
        Assert.Equal("eldi", await idle.AskAsync("idle"));

        await busy.SendAsync("sleep:500");
        await Wait.UntilAsync(
            () => server.Log.Messages().Count(m => m.Contains("state Process", StringComparison.Ordinal)) >= 2,
            because: "the slow request to start");
        var watch = Stopwatch.StartNew();
        await server.Server.StopAsync();
        var stopTook = watch.Elapsed;

        Assert.Equal("1", await busy.ReadStringAsync());
        Assert.True(await busy.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await idle.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        Assert.True(stopTook < TimeSpan.FromSeconds(5), $"StopAsync took {stopTook}");
        await server.Log.WaitForAsync("Stopped: 2 connection(s) drained, 0 cut");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task PartialFrameHeldForeverIsCutAtTheDeadline(string transport)
    {
        await using var server = TestServer.Start(transport, ("Server:DrainTimeout", "1"), ("Limits:ReadTimeout", "0"));
        using var stuck = server.Connect();
        using var done = server.Connect();
        Assert.Equal("enod", await done.AskAsync("done"));
        await stuck.SendRawAsync("00010half");
        await Wait.UntilAsync(() => server.Log.Contains("state ReadBody"), because: "the partial frame to arrive");

        var watch = Stopwatch.StartNew();
        await server.Server.StopAsync();
        var stopTook = watch.Elapsed;

        Assert.InRange(stopTook, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(4));
        Assert.True(await stuck.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await done.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        await server.Log.WaitForAsync("Stopped: 1 connection(s) drained, 1 cut at the deadline");
    }
}
