using PluggableNet.Server.Plugins.Isolation;

namespace PluggableNet.UnitTests.Isolation;

/// <summary>Erlang's supervisor intensity: at most N restarts within T, counted over a sliding window.</summary>
public sealed class RestartIntensityTests
{
    [Fact]
    public void TheRestartBeyondTheLimitWithinTheWindowIsRefused()
    {
        var intensity = new RestartIntensity(2, TimeSpan.FromSeconds(10));

        Assert.True(intensity.TryRestart(0));
        Assert.True(intensity.TryRestart(1_000));
        Assert.False(intensity.TryRestart(2_000));
    }

    [Fact]
    public void RestartsOlderThanTheWindowNoLongerCount()
    {
        var intensity = new RestartIntensity(2, TimeSpan.FromSeconds(10));

        Assert.True(intensity.TryRestart(0));
        Assert.True(intensity.TryRestart(5_000));
        Assert.True(intensity.TryRestart(10_000));
        Assert.False(intensity.TryRestart(14_999));
    }

    [Fact]
    public void ZeroRestartsGivesUpAtTheFirstCrash() => Assert.False(new RestartIntensity(0, TimeSpan.FromSeconds(10)).TryRestart(0));
}
