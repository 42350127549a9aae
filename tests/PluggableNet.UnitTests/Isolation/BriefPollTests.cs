using PluggableNet.Server.Plugins.Isolation;

namespace PluggableNet.UnitTests.Isolation;

public sealed class BriefPollTests
{
    [Fact]
    public void SpinsUntilAMissThenSkipsTwiceAsManyChancesAfterEachMissUpTo64()
    {
        var poll = new BriefPoll();
        Assert.True(poll.ShouldSpin());

        foreach (var skipped in new[] { 1, 2, 4, 8, 16, 32, 64, 64 })
        {
            poll.Miss();
            Assert.Equal(skipped, SkippedBeforeNextSpin(ref poll));
        }
    }

    [Fact]
    public void AHitStartsTheBackOffAgainFromOne()
    {
        var poll = new BriefPoll();
        for (var i = 0; i < 5; i++)
        {
            poll.Miss();
            SkippedBeforeNextSpin(ref poll);
        }

        poll.Hit();
        Assert.True(poll.ShouldSpin());
        poll.Miss();
        Assert.Equal(1, SkippedBeforeNextSpin(ref poll));
    }

    [Fact]
    public void TheWindowIsFiftyMicroseconds() =>
        Assert.Equal(System.Diagnostics.Stopwatch.Frequency / 20_000, BriefPoll.WindowTicks);

    private static int SkippedBeforeNextSpin(ref BriefPoll poll)
    {
        var skipped = 0;
        while (!poll.ShouldSpin())
        {
            skipped++;
        }

        return skipped;
    }
}
