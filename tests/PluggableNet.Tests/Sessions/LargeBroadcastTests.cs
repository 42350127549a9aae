using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>
/// Broadcasts large enough to be sent from the shared payload (on epoll: spliced into each member's output, sendmsg)
/// arrive whole, in order, and in their place among the member's answers, on both transports and protocols.
/// </summary>
public sealed class LargeBroadcastTests
{
    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task LargeBroadcastsArriveWholeInOrderAndBetweenTheAnswers(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport);
        await using var alice = await harness.ConnectAsync(protocol);
        await using var bob = await harness.ConnectAsync(protocol);
        Assert.Equal("ok", await alice.AskAsync("NICK alice"));
        Assert.Equal("joined 1", await alice.AskAsync("JOIN big"));
        Assert.Equal("joined 2", await bob.AskAsync("JOIN big"));

        // Bob does not read while Alice talks: his pushes queue up (5 x ~12 KB, within the 64 KiB limit) and go out
        // in as many sends as his socket takes; then one answer of his own comes after all of them.
        var texts = Enumerable.Range(0, 5).Select(i => $"{i}:" + new string((char)('a' + i), 12_000)).ToList();
        foreach (var text in texts)
        {
            Assert.StartsWith("sent 2 0 0 0", await alice.AskAsync($"SAY big {text}"));
        }

        Assert.Equal("alice,anon", await bob.AskAsync("WHO big"));
        var beforeAnswer = bob.TakeKeptPushes();
        Assert.Equal(texts.Select(t => "msg big alice: " + t), beforeAnswer);
        foreach (var text in texts)
        {
            Assert.Equal("msg big alice: " + text, await alice.NextPushAsync());
        }
    }
}
