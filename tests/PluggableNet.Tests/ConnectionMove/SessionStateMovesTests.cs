using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Sessions;

namespace PluggableNet.Tests.ConnectionMove;

/// <summary>
/// A session plugin's state moves with its connections through the sessions' state hook: each session's state exported
/// by the old server's plugin (Room 1) and imported by the new one's (Room 2) as after a swap, its groups joined again,
/// and the shared state moved once.
/// </summary>
public sealed class SessionStateMovesTests
{
    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task PerConnectionAndSharedStateSurviveTheMove(string transport, string protocol)
    {
        await using var oldServer = SessionHarness.Start(transport, version: 1);
        await using var newServer = SessionHarness.Start(transport == "Epoll" ? "Sockets" : "Epoll", version: 2);
        await using var alice = await oldServer.ConnectAsync(protocol);
        await using var bob = await oldServer.ConnectAsync(protocol);
        await alice.AskAsync("NICK alice");
        await bob.AskAsync("NICK bob");
        await alice.AskAsync("JOIN lobby");
        await bob.AskAsync("JOIN lobby");
        await alice.AskAsync("SAY lobby one");
        Assert.Equal("msg lobby alice: one", await alice.NextPushAsync());
        Assert.Equal("msg lobby alice: one", await bob.NextPushAsync());
        var idBefore = await alice.AskAsync("ID");

        var moved = await ConnectionMover.MoveAllAsync(oldServer.Server.Server, newServer.Server.Server, TimeSpan.FromSeconds(5));

        Assert.Equal(2, moved.Moved);
        Assert.Equal(0, moved.LeftBehind);
        var suffix = ";protocol=" + protocol.ToUpperInvariant();
        Assert.Equal("nick=alice;version=2;count=1;from=1.0.0" + suffix, await alice.AskAsync("STATE"));
        Assert.Equal("nick=bob;version=2;count=1;from=1.0.0" + suffix, await bob.AskAsync("STATE"));
        Assert.Equal("alice,bob", await bob.AskAsync("WHO lobby"));
        Assert.Equal("sent 2 0 0 0 2", await bob.AskAsync("SAY lobby two"));
        Assert.Equal("msg lobby bob: two", await alice.NextPushAsync());
        Assert.Equal("msg lobby bob: two", await bob.NextPushAsync());

        // The session has the connection's id on the new server (docs/upgrade-connections.md).
        Assert.NotNull(await alice.AskAsync("ID"));
        Assert.NotNull(idBefore);
        Assert.Equal(0, oldServer.Server.Server.Metrics.OpenConnections);
    }
}
