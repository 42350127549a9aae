using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;

namespace PluggableNet.UnitTests.Plugins;

/// <summary>What the status channel tells an operator about the last swaps: "did my deploy take?".</summary>
public sealed class SwapHistoryTests
{
    [Fact]
    public void ANewHistoryKnowsNoSwapAndNoError()
    {
        var history = new SwapHistory();

        Assert.Null(history.LastSwapAt);
        Assert.Null(history.LastTrigger);
        Assert.Null(history.LastError);
        Assert.Null(history.LastErrorAt);
        Assert.Equal(0, history.Failures);
    }

    [Fact]
    public void ASuccessfulSwapIsRecordedWithItsTriggerAndTime()
    {
        var history = new SwapHistory();
        var before = DateTimeOffset.UtcNow;

        history.Succeeded("file");

        Assert.Equal("file", history.LastTrigger);
        Assert.InRange(history.LastSwapAt!.Value, before, DateTimeOffset.UtcNow);
    }

    [Fact]
    public void AFailureAfterASuccessKeepsTheLastSwapAndAddsTheError()
    {
        var history = new SwapHistory();
        history.Succeeded("config");
        var swappedAt = history.LastSwapAt;

        history.Failed("Broken.dll does not load");

        Assert.Equal("Broken.dll does not load", history.LastError);
        Assert.NotNull(history.LastErrorAt);
        Assert.Equal(swappedAt, history.LastSwapAt);
        Assert.Equal("config", history.LastTrigger);
        Assert.Equal(1, history.Failures);
    }

    [Fact]
    public void ASuccessClearsTheErrorButNotTheFailureCount()
    {
        var history = new SwapHistory();
        history.Failed("first");
        history.Failed("second");

        history.Succeeded("signal");

        Assert.Null(history.LastError);
        Assert.Null(history.LastErrorAt);
        Assert.Equal("signal", history.LastTrigger);
        Assert.Equal(2, history.Failures);
    }

    [Fact]
    public void TheLatestErrorIsTheOneShown()
    {
        var history = new SwapHistory();

        history.Failed("first");
        history.Failed("second");

        Assert.Equal("second", history.LastError);
    }

    [Fact]
    public async Task ConcurrentFailuresAreAllCounted()
    {
        var history = new SwapHistory();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                history.Failed("boom");
            }
        })));

        Assert.Equal(40_000, history.Failures);
    }
}
