using PluggableNet.Server.Diagnostics;

namespace PluggableNet.UnitTests.Diagnostics;

public sealed class StripedCounterTests
{
    [Fact]
    public async Task AddsFromManyThreadsSumExactly()
    {
        var counter = new StripedCounter();
        const int Threads = 8;
        const int Adds = 100_000;

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < Adds; i++)
            {
                counter.Add(3);
            }
        })));

        Assert.Equal(3L * Threads * Adds, counter.Value);
    }

    [Fact]
    public void StartsAtZeroAndTakesNegativeAdds()
    {
        var counter = new StripedCounter();
        Assert.Equal(0, counter.Value);
        counter.Add(10);
        counter.Add(-4);
        Assert.Equal(6, counter.Value);
    }
}
