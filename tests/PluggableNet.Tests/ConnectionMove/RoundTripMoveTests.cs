using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ConnectionMove;

/// <summary>
/// A connection moves there and back again (an upgrade, then its rollback), many times over: it is served all along.
/// Each return puts it on a server whose sockets had it before, where the runtime's epoll still holds a registration
/// of each number it had (ConnectionSnapshot.DescriptorsToAvoid).
/// </summary>
public sealed class RoundTripMoveTests
{
    private const int RoundTrips = 20;

    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task AConnectionMovedThereAndBackIsServedAllAlong(string transport, string protocol)
    {
        await using var first = TestServer.Start(transport, ("Logic:Plugin", "Upper"));
        await using var second = TestServer.Start(transport, ("Logic:Plugin", "Reverse"));
        await using var client = await PipeliningClient.StartAsync(first.EndPoint, protocol, 0, oneWay: false);
        await client.UntilAsync(c => c.FromOld >= 5, "answered by the first server");
        for (var round = 1; round <= RoundTrips; round++)
        {
            Assert.Equal(1, (await ConnectionMover.MoveAllAsync(first.Server, second.Server, TimeSpan.FromSeconds(5))).Moved);
            var fromNew = client.FromNew;
            await client.UntilAsync(c => c.FromNew >= fromNew + 5, $"round {round}: answered by the second server");
            Assert.Equal(1, (await ConnectionMover.MoveAllAsync(second.Server, first.Server, TimeSpan.FromSeconds(5))).Moved);
            var fromOld = client.FromOld;
            await client.UntilAsync(c => c.FromOld >= fromOld + 5, $"round {round}: answered by the first server again");
        }

        await client.FinishAsync();
    }
}
