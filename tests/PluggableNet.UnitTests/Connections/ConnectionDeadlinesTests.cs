using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;

namespace PluggableNet.UnitTests.Connections;

public sealed class ConnectionDeadlinesTests
{
    private static readonly ConnectionLimits s_limits = new ServerSettings().ToLimits() with
    {
        ReadTimeoutMs = 100,
        WriteTimeoutMs = 200,
        IdleTimeoutMs = 300,
        ProcessTimeoutMs = 400,
    };

    [Fact]
    public void EachWaitIsJudgedByItsOwnLimit()
    {
        var deadlines = new ConnectionDeadlines(now: 1000);
        deadlines.FrameStarting(1000);
        deadlines.OffloadStarted(1000);

        Assert.Equal(CloseReason.ReadTimeout, deadlines.Expired(ConnectionWait.RestOfHeader, s_limits, 1100));
        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.PeerToRead, s_limits, 1199));
        Assert.Equal(CloseReason.WriteTimeout, deadlines.Expired(ConnectionWait.PeerToRead, s_limits, 1200));
        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.NextRequest, s_limits, 1299));
        Assert.Equal(CloseReason.IdleTimeout, deadlines.Expired(ConnectionWait.NextRequest, s_limits, 1300));
        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.Plugin, s_limits, 1399));
        Assert.Equal(CloseReason.ProcessTimeout, deadlines.Expired(ConnectionWait.Plugin, s_limits, 1400));
    }

    [Fact]
    public void WaitingForAServerSideSlotNeverTimesOut()
    {
        var deadlines = new ConnectionDeadlines(now: 0);
        deadlines.FrameStarting(0);

        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.OffloadSlot, s_limits, 1_000_000));
    }

    [Fact]
    public void AFrameTakenStopsTheReadLimitUntilTheNextFrameStarts()
    {
        var deadlines = new ConnectionDeadlines(now: 0);
        deadlines.FrameStarting(0);

        deadlines.FrameTaken(now: 500);
        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.RestOfHeader, s_limits, 10_000));

        deadlines.FrameStarting(700);
        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.RestOfHeader, s_limits, 799));
        Assert.Equal(CloseReason.ReadTimeout, deadlines.Expired(ConnectionWait.RestOfHeader, s_limits, 800));
        Assert.Equal(new Deadline(CloseReason.ReadTimeout, At: 800, Since: 700), deadlines.Next(ConnectionWait.RestOfHeader, s_limits, frameBytes: 1));
    }

    [Fact]
    public void FrameStartingKeepsTheFirstByteTime()
    {
        var deadlines = new ConnectionDeadlines(now: 0);
        deadlines.FrameStarting(10);
        deadlines.FrameStarting(90);

        Assert.Equal(CloseReason.ReadTimeout, deadlines.Expired(ConnectionWait.RestOfHeader, s_limits, 110));
    }

    [Fact]
    public void ProgressAndAnswersRestartTheirLimits()
    {
        var deadlines = new ConnectionDeadlines(now: 0);

        deadlines.WriteProgressed(150);
        deadlines.RequestAnswered(250);

        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.PeerToRead, s_limits, 349));
        Assert.Equal(CloseReason.WriteTimeout, deadlines.Expired(ConnectionWait.PeerToRead, s_limits, 350));
        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.NextRequest, s_limits, 549));
        Assert.Equal(CloseReason.IdleTimeout, deadlines.Expired(ConnectionWait.NextRequest, s_limits, 550));
    }

    [Fact]
    public void ALimitOfZeroIsOff()
    {
        var off = s_limits with { ReadTimeoutMs = 0, WriteTimeoutMs = 0, IdleTimeoutMs = 0, ProcessTimeoutMs = 0 };
        var deadlines = new ConnectionDeadlines(now: 0);
        deadlines.FrameStarting(0);
        deadlines.OffloadStarted(0);

        foreach (var wait in Enum.GetValues<ConnectionWait>())
        {
            Assert.Equal(CloseReason.None, deadlines.Expired(wait, off, long.MaxValue / 2));
        }
    }

    [Fact]
    public void APayloadIsJudgedByItsAverageRateAfterTheGracePeriod()
    {
        var limits = s_limits with { MinReceiveBytesPerSecond = 1000, MinReceiveRateGraceMs = 500, ReadTimeoutMs = 100 };
        var deadlines = new ConnectionDeadlines(now: 1000);
        deadlines.FrameStarting(1000);

        // Within the grace period nothing counts, not even the read timeout: the header is known.
        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.RestOfPayload, limits, 1500, frameBytes: 10));

        // After it, the average since the first byte: 2,000 bytes in 2 s is 1,000 B/s, enough; 1,999 is not.
        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.RestOfPayload, limits, 3000, frameBytes: 2000));
        Assert.Equal(CloseReason.ReceiveTooSlow, deadlines.Expired(ConnectionWait.RestOfPayload, limits, 3000, frameBytes: 1999));
        Assert.Equal(1000, deadlines.Next(ConnectionWait.RestOfPayload, limits, frameBytes: 1999).Since);
    }

    [Fact]
    public void WithTheRateOffTheReadTimeoutCoversTheWholeFrame()
    {
        var limits = s_limits with { MinReceiveBytesPerSecond = 0 };
        var deadlines = new ConnectionDeadlines(now: 1000);
        deadlines.FrameStarting(1000);

        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.RestOfPayload, limits, 1099, frameBytes: 1_000_000));
        Assert.Equal(CloseReason.ReadTimeout, deadlines.Expired(ConnectionWait.RestOfPayload, limits, 1100, frameBytes: 1_000_000));
    }

    [Fact]
    public void APayloadWaitWithNothingBufferedIsNoVerdict()
    {
        // What a timer thread can see while the connection's loop completes a frame: the wait not yet updated, the
        // buffer already consumed. A stale start must not pass for a trickle.
        var limits = s_limits with { MinReceiveBytesPerSecond = 1000, MinReceiveRateGraceMs = 500 };
        var deadlines = new ConnectionDeadlines(now: 1000);
        deadlines.FrameStarting(1000);

        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.RestOfPayload, limits, 1_000_000, frameBytes: 0));

        deadlines.FrameTaken(2000);
        Assert.Equal(CloseReason.None, deadlines.Expired(ConnectionWait.RestOfPayload, limits, 1_000_000, frameBytes: 10));
    }
}
