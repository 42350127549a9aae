using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ConnectionMove;

/// <summary>A connection moves there and back again (an upgrade, then its rollback): it is served all along.</summary>
public sealed class RoundTripMoveTests
{
    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task AConnectionMovedThereAndBackIsServedAllAlong(string transport, string protocol)
    {
        await using var first = TestServer.Start(transport, ("Logic:Plugin", "Upper"));
        await using var second = TestServer.Start(transport, ("Logic:Plugin", "Reverse"));
        await using var client = await PipeliningClient.StartAsync(first.EndPoint, protocol, 0, oneWay: false);
        await Wait.UntilAsync(() => client.FromOld >= 20, because: "answered by the first server");

        Assert.Equal(1, (await ConnectionMover.MoveAllAsync(first.Server, second.Server, TimeSpan.FromSeconds(5))).Moved);
        await Wait.UntilAsync(() => client.FromNew >= 20, because: "answered by the second server");
        Assert.Equal(1, (await ConnectionMover.MoveAllAsync(second.Server, first.Server, TimeSpan.FromSeconds(5))).Moved);
        var before = client.FromOld;
        await Wait.UntilAsync(() => client.FromOld >= before + 20, because: "answered by the first server again");
        await client.FinishAsync();
    }
}
