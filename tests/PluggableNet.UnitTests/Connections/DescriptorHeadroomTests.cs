using PluggableNet.Server.Connections;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// The descriptors left under the open-files limit as they are now: read at most every 100 ms, followed by count in
/// between, read again at every accept near the reserve. The readings are the test's.
/// </summary>
public sealed class DescriptorHeadroomTests
{
    private long _connections;
    private long _limit = 400;
    private long _others = 100;
    private int _reads;

    [Fact]
    public void TheReserveIsASixteenthOfTheLimitAndAtLeast64()
    {
        Assert.Equal(64, DescriptorHeadroom.ReserveFor(400));
        Assert.Equal(64, DescriptorHeadroom.ReserveFor(1024));
        Assert.Equal(4096, DescriptorHeadroom.ReserveFor(65536));
    }

    [Fact]
    public void AcceptingStopsWhenOnlyTheReserveIsLeftAndResumesAsConnectionsClose()
    {
        var headroom = New();

        // 400 - 100 others - 64 reserve: room for 236 connections.
        var admitted = 0;
        for (var now = 1000; headroom.HasRoom(now, out _); now++)
        {
            _connections++;
            admitted++;
        }

        Assert.Equal(236, admitted);
        Assert.False(headroom.HasRoom(5000, out var reading));
        Assert.Equal(64, reading.Free);
        Assert.Equal(64, reading.Reserve);

        _connections--;
        Assert.True(headroom.HasRoom(5001, out _));
    }

    [Fact]
    public void BetweenReadingsConnectionsAreFollowedByCount()
    {
        var headroom = New();
        Assert.True(headroom.HasRoom(1000, out _));
        var reads = _reads;

        // Far from the reserve, nothing is read again within 100 ms, whatever the connections do.
        _connections += 50;
        Assert.True(headroom.HasRoom(1050, out var reading));
        Assert.Equal(reads, _reads);
        Assert.Equal(150, reading.InUse);

        Assert.True(headroom.HasRoom(1100, out _));
        Assert.Equal(reads + 1, _reads);
    }

    [Fact]
    public void ALimitLoweredUnderARunningHostIsSeenWithinOneRefresh()
    {
        var headroom = New();
        _connections = 100;
        Assert.True(headroom.HasRoom(1000, out _));

        // prlimit --pid: the soft limit drops under what the host already uses.
        _limit = 220;
        Assert.False(headroom.HasRoom(1100, out var reading));
        Assert.Equal(220, reading.Limit);
        Assert.Equal(20, reading.Free);

        _limit = 4096;
        Assert.True(headroom.HasRoom(1200, out _));
    }

    [Fact]
    public void DescriptorsTakenByOthersThanConnectionsAreSeenNearTheReserve()
    {
        var headroom = New();
        _connections = 200;
        Assert.True(headroom.HasRoom(1000, out _));

        // 100 free, near the reserve (64). A plugin opens 60 files: within the same 100 ms, the next accept reads them.
        _others += 60;
        Assert.False(headroom.HasRoom(1001, out var reading));
        Assert.Equal(360, reading.InUse);
    }

    [Fact]
    public void AnUnknownLimitNeverStopsAccepting()
    {
        var headroom = new DescriptorHeadroom(() => _connections, () => null);

        Assert.True(headroom.HasRoom(1000, out _));
        Assert.Null(headroom.Current(1000));
    }

    private DescriptorHeadroom New() => new(() => _connections, () =>
    {
        _reads++;
        return new DescriptorReading(_limit, _others + _connections);
    });
}
