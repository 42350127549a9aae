using PluggableNet.Server.Connections;

namespace PluggableNet.UnitTests.Connections;

public sealed class OffloadedAnswerTests
{
    [Fact]
    public void AnAnswerWithinTheBoundIsKeptWhole()
    {
        var answer = new OffloadedAnswer(maxBytes: 100_000);
        for (var i = 0; i < 100; i++)
        {
            answer.GetSpan(1000)[..1000].Fill((byte)(i % 256));
            answer.Advance(1000);
        }

        Assert.False(answer.Overflowed);
        Assert.Equal(100_000, answer.Length);
        Assert.Equal(100_000, answer.Written.Length);
        Assert.Equal(99, answer.Written[^1]);
        answer.Release();
        Assert.Equal(0, answer.Capacity);
    }

    [Fact]
    public void PastTheBoundWritesAreCountedNotKept()
    {
        var answer = new OffloadedAnswer(maxBytes: 100_000);
        for (var i = 0; i < 1000; i++)
        {
            var span = answer.GetSpan(65_536);
            Assert.True(span.Length >= 65_536);
            answer.Advance(65_536);
        }

        Assert.True(answer.Overflowed);
        Assert.Equal(1000L * 65_536, answer.Length);

        // The kept array went back at the overflow: only the reused scratch array is held.
        Assert.InRange(answer.Capacity, 65_536, 2 * 65_536);
        answer.Release();
        Assert.Equal(0, answer.Capacity);
    }

    [Fact]
    public void AdvancingPastTheSpanHandedOutThrows()
    {
        var answer = new OffloadedAnswer(maxBytes: 1000);
        var length = answer.GetSpan(10).Length;
        Assert.ThrowsAny<InvalidOperationException>(() => answer.Advance(length + 1));
    }
}
