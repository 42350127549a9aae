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
    public void ConnectionsAreKeptWhileTheReserveStaysFreeAndAcceptingPausesAtHalfOfIt()
    {
        var headroom = New();

        // As admission counts them: 400 - 100 others - 64 reserve leaves room for 236 connections.
        var kept = 0;
        for (var now = 1000; ; now++)
        {
            _connections++;
            if (!Estimate(headroom, now).KeepsReserve)
            {
                _connections--;
                break;
            }

            kept++;
        }

        Assert.Equal(236, kept);
        Assert.True(Estimate(headroom, 5000).MayAccept);

        // Descriptors taken by something else: at half the reserve free, not even a refused accept is allowed.
        _others += 32;
        var reading = Estimate(headroom, 5001);
        Assert.Equal(32, reading.Free);
        Assert.False(reading.MayAccept);

        _connections--;
        Assert.True(Estimate(headroom, 5002).MayAccept);
    }

    [Fact]
    public void BetweenReadingsConnectionsAreFollowedByCount()
    {
        var headroom = New();
        Estimate(headroom, 1000);
        var reads = _reads;

        // Far from the reserve, nothing is read again within 100 ms, whatever the connections do.
        _connections += 50;
        var reading = Estimate(headroom, 1050);
        Assert.Equal(reads, _reads);
        Assert.Equal(150, reading.InUse);

        Estimate(headroom, 1100);
        Assert.Equal(reads + 1, _reads);
    }

    [Fact]
    public void ALimitLoweredUnderARunningHostIsSeenWithinAFewAccepts()
    {
        var headroom = New();
        _connections = 100;
        Assert.True(Estimate(headroom, 1000).KeepsReserve);

        // prlimit --pid: the soft limit drops under what the host already uses; a flood in the same millisecond
        // meets it within LimitReadEvery estimates, not 100 ms later.
        _limit = 220;
        var seenAfter = Enumerable.Range(1, 100).First(i => !Estimate(headroom, 1000).MayAccept);
        Assert.InRange(seenAfter, 1, DescriptorHeadroom.LimitReadEvery);
        var reading = Estimate(headroom, 1000);
        Assert.Equal(220, reading.Limit);
        Assert.Equal(20, reading.Free);
        Assert.False(reading.MayAccept);

        _limit = 4096;
        Assert.True(Estimate(headroom, 1200).KeepsReserve);
    }

    [Fact]
    public void DescriptorsTakenByOthersThanConnectionsAreSeenNearTheReserve()
    {
        var headroom = New();
        _connections = 200;
        Assert.True(Estimate(headroom, 1000).KeepsReserve);

        // 100 free, near the reserve (64). A plugin opens 60 files: within the same 100 ms, the next accept reads them.
        _others += 60;
        var reading = Estimate(headroom, 1001);
        Assert.False(reading.KeepsReserve);
        Assert.Equal(360, reading.InUse);
    }

    [Fact]
    public void AnUnknownLimitIsNoReading()
    {
        var headroom = new DescriptorHeadroom(() => _connections, () => null, () => 100);

        Assert.Null(headroom.Estimate(1000));
        Assert.Null(headroom.Current(1000));
    }

    private static DescriptorReading Estimate(DescriptorHeadroom headroom, long now) => Assert.NotNull(headroom.Estimate(now));

    private DescriptorHeadroom New() => new(() => _connections, () => _limit, () =>
    {
        _reads++;
        return _others + _connections;
    });
}
