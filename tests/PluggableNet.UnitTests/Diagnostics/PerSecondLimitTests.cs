using PluggableNet.Server.Diagnostics;

namespace PluggableNet.UnitTests.Diagnostics;

/// <summary>
/// The one limiter behind every log line a peer can repeat at will (bad headers, timeouts, plugin faults, refused
/// connections): the first event of a second is logged in full, the rest counted once and handed over for one summary
/// once that second is over. Time is passed in, in milliseconds.
/// </summary>
public sealed class PerSecondLimitTests
{
    private const long Start = 1_000_000;
    private readonly PerSecondLimit _limit = new();

    [Fact]
    public void TheFirstEventIsLoggedInFull()
    {
        Assert.True(_limit.TryEnter(0));
        Assert.False(_limit.TryEnter(1));
    }

    [Fact]
    public void ABurstWithinASecondIsOneFullLineThenItsCountOnceTheSecondIsOver()
    {
        var full = Enumerable.Range(0, 10_000).Count(i => _limit.TryEnter(Start + (i % 1000)));

        Assert.Equal(1, full);
        Assert.Equal(0, _limit.TakeSuppressed(Start + 999));
        Assert.Equal(9_999, _limit.TakeSuppressed(Start + 1000));
    }

    [Fact]
    public void ACountIsHandedOverOnceAndTheNextSecondStartsWithAFullLine()
    {
        _limit.TryEnter(Start);
        _limit.TryEnter(Start + 10);
        _limit.TryEnter(Start + 20);

        Assert.Equal(2, _limit.TakeSuppressed(Start + 1000));
        Assert.Equal(0, _limit.TakeSuppressed(Start + 5000));
        Assert.True(_limit.TryEnter(Start + 5000));
    }

    [Fact]
    public void ASteadyFloodGetsOneFullLinePerSecondAndLosesNoCount()
    {
        const int Seconds = 10;
        const int PerSecond = 5_000;
        var full = 0;
        long summed = 0;
        for (var i = 0; i < Seconds * PerSecond; i++)
        {
            var now = Start + (i * 1000L / PerSecond);
            full += _limit.TryEnter(now) ? 1 : 0;
            if (i % 1000 == 0)
            {
                // A scan every fifth of a second.
                summed += _limit.TakeSuppressed(now);
            }
        }

        summed += _limit.TakeSuppressed(Start + (Seconds * 1000) + 1000);

        Assert.Equal(Seconds, full);
        Assert.Equal(Seconds * PerSecond, full + summed);
    }

    [Fact]
    public void WithoutEventsNothingIsHandedOver()
    {
        for (var t = Start; t < Start + 10_000; t += 500)
        {
            Assert.Equal(0, _limit.TakeSuppressed(t));
        }
    }

    [Fact]
    public void EventsFromSeveralThreadsAtOnceAreAllCounted()
    {
        const int Threads = 4;
        const int PerThread = 25_000;
        var full = 0;
        var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                if (_limit.TryEnter(Start))
                {
                    Interlocked.Increment(ref full);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(1, full);
        Assert.Equal((Threads * PerThread) - 1, _limit.TakeSuppressed(Start + 1000));
    }
}
