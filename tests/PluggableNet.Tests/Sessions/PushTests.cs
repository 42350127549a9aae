using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>Sessions and push, on both transports and both protocols: groups, push to another connection, from the thread pool and from an offloaded call, to a closed or unknown id.</summary>
public sealed class PushTests
{
    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task ABroadcastReachesEveryMemberOfTheRoomAndOnlyThem(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport);
        await using var alice = await harness.ConnectAsync(protocol);
        await using var bob = await harness.ConnectAsync(protocol);
        await using var carol = await harness.ConnectAsync(protocol);
        Assert.Equal("ok", await alice.AskAsync("NICK alice"));
        Assert.Equal("ok", await bob.AskAsync("NICK bob"));
        Assert.Equal("ok", await carol.AskAsync("NICK carol"));
        Assert.Equal("joined 1", await alice.AskAsync("JOIN lobby"));
        Assert.Equal("joined 2", await bob.AskAsync("JOIN lobby"));
        Assert.Equal("alice,bob", await carol.AskAsync("WHO lobby"));

        Assert.StartsWith("sent 2 0 0 0", await alice.AskAsync("SAY lobby hello"));
        Assert.Equal("msg lobby alice: hello", await bob.NextPushAsync());
        Assert.Equal("msg lobby alice: hello", await alice.NextPushAsync());

        // Carol is in no room: her next frame is the answer to her own request, no push before it.
        Assert.Equal("alice,bob", await carol.AskAsync("WHO lobby"));
        Assert.Empty(carol.TakeKeptPushes());

        Assert.Equal("left", await bob.AskAsync("LEAVE lobby"));
        Assert.StartsWith("sent 1 ", await alice.AskAsync("SAY lobby again"));
        Assert.Equal("msg lobby alice: again", await alice.NextPushAsync());
        Assert.Equal("alice", await carol.AskAsync("WHO lobby"));
    }

    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task PushesFromTheThreadPoolArriveInOrder(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport);
        await using var client = await harness.ConnectAsync(protocol);
        Assert.Equal("pushing", await client.AskAsync("PUSHME 200"));
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal($"msg self {i}", await client.NextPushAsync());
        }
    }

    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task AnOffloadedCallPushesToItsOwnConnection(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport, offloaded: true);
        await using var client = await harness.ConnectAsync(protocol);
        Assert.Equal("slept Queued", await client.AskAsync("SLEEP 20"));
        Assert.Equal("msg slept", await client.NextPushAsync());
    }

    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task APushToAClosedOrUnknownConnectionIsGone(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport);
        await using var sender = await harness.ConnectAsync(protocol);
        var target = await harness.ConnectAsync(protocol);
        var id = await target.AskAsync("ID");
        Assert.Equal("Queued", await sender.AskAsync($"PUSHTO {id} hi"));
        Assert.Equal("msg hi", await target.NextPushAsync());

        await target.DisposeAsync();
        await Wait.UntilAsync(async () => await sender.AskAsync($"PUSHTO {id} hi") == "Gone", TimeSpan.FromSeconds(10));
        Assert.Equal("Gone", await sender.AskAsync("PUSHTO 987654321 hi"));
    }

    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task ThePluginClosesASessionWithItsReason(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport);
        await using var client = await harness.ConnectAsync(protocol);
        Assert.Equal("closing", await client.AskAsync("CLOSE enough for today"));
        var end = await client.ReadGoAwayOrCloseAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(protocol == "v2" ? "enough for today" : "closed", end);
    }
}
