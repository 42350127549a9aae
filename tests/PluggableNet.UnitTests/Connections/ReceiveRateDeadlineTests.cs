using PluggableNet.Server;
using PluggableNet.Server.Connections;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// The receive-rate limit is published as a time (the moment the bytes buffered so far fall below the minimum
/// average rate): judged against that time it gives the very verdict of the rate itself, millisecond by millisecond.
/// </summary>
public sealed class ReceiveRateDeadlineTests
{
    [Theory]
    [InlineData(1, 240, 0)]
    [InlineData(1, 240, 1000)]
    [InlineData(1000, 240, 1000)]
    [InlineData(4096, 3000, 500)]
    [InlineData(65_536, 100_000, 1000)]
    [InlineData(999, 7, 0)]
    public void TheDeadlineIsWhereTheAverageRateFallsBelowTheMinimum(int frameBytes, int bytesPerSecond, long graceMs)
    {
        var limits = new ServerSettings().ToLimits() with { MinReceiveBytesPerSecond = bytesPerSecond, MinReceiveRateGraceMs = graceMs };
        const long FrameStartedAt = 10_000;
        var deadlines = new ConnectionDeadlines(now: FrameStartedAt);
        deadlines.FrameStarting(FrameStartedAt);

        for (var elapsed = 0L; elapsed <= 200_000; elapsed += elapsed < 5_000 ? 1 : 97)
        {
            var tooSlow = elapsed > graceMs && frameBytes * 1000L < (long)bytesPerSecond * elapsed;
            var verdict = deadlines.Expired(ConnectionWait.RestOfPayload, limits, FrameStartedAt + elapsed, frameBytes);
            Assert.True(
                (tooSlow ? CloseReason.ReceiveTooSlow : CloseReason.None) == verdict,
                $"{frameBytes} bytes at {bytesPerSecond} B/s (grace {graceMs} ms), {elapsed} ms after the frame's first byte: {verdict}");
        }
    }
}
