using PluggableNet.Server.Transport.Epoll;

namespace PluggableNet.UnitTests.Transport;

/// <summary>The adaptive reactor policy on synthetic signals: proposals, measured trials, back-off, no flapping.</summary>
public sealed class ReactorScalingPolicyTests
{
    private const int Trial = ReactorScalingPolicy.SettleIntervals + ReactorScalingPolicy.MeasureIntervals;

    [Fact]
    public void StartsConcentratedOnOneReactor()
    {
        Assert.Equal(1, new ReactorScalingPolicy(4).Active);
        Assert.Equal(1, new ReactorScalingPolicy(1).Active);
    }

    [Fact]
    public void SaturatedWithSpareCpu_GrowsAndKeepsTheGrowthThatPays()
    {
        var policy = new ReactorScalingPolicy(2);

        Feed(policy, ReactorScalingPolicy.SustainIntervals - 1, Saturated(10_000));
        Assert.Equal(1, policy.Active);
        Feed(policy, 1, Saturated(10_000));
        Assert.Equal(2, policy.Active);
        Assert.True(policy.InTrial);

        // Two reactors answer 80 % more: kept.
        Feed(policy, Trial, Busy(18_000, runQueueWait: 0.05));
        Assert.Equal(2, policy.Active);
        Assert.False(policy.InTrial);
        Assert.StartsWith("kept", policy.LastReason, StringComparison.Ordinal);
    }

    [Fact]
    public void SaturatedWithoutSpareCpu_DoesNotGrow()
    {
        var policy = new ReactorScalingPolicy(2);

        // The client (or a neighbour) uses the other core: another reactor would only preempt it.
        Feed(policy, 20, Saturated(30_000) with { SpareCpus = 0.05 });

        Assert.Equal(1, policy.Active);
        Assert.False(policy.InTrial);
    }

    [Fact]
    public void FanOutSaturatedWithoutSpareCpu_TriesAndKeepsTheGrowthThatPays()
    {
        var policy = new ReactorScalingPolicy(2);

        // A broadcast to 10,000 members eight times a second, the receivers on the other core: no idle CPU, but the
        // sends wait on nobody's turn, so a second reactor is tried.
        Feed(policy, ReactorScalingPolicy.SustainIntervals, FanOut(80_000));
        Assert.Equal(2, policy.Active);
        Assert.True(policy.InTrial);

        // Measured on pushes, not on the 8 requests per second: two reactors deliver 25 % more, kept.
        Feed(policy, Trial, FanOut(100_000) with { MinBusy = 0.6, RunQueueWait = 0.2 });
        Assert.Equal(2, policy.Active);
        Assert.StartsWith("kept", policy.LastReason, StringComparison.Ordinal);
    }

    [Fact]
    public void FanOutGrowthThatDoesNotPay_IsUndone()
    {
        var policy = new ReactorScalingPolicy(2);
        Feed(policy, ReactorScalingPolicy.SustainIntervals, FanOut(80_000));
        Assert.Equal(2, policy.Active);

        Feed(policy, Trial, FanOut(78_000) with { MinBusy = 0.5, RunQueueWait = 0.4 });
        Assert.Equal(1, policy.Active);
        Assert.StartsWith("undone", policy.LastReason, StringComparison.Ordinal);
    }

    [Fact]
    public void GrowthThatDoesNotPay_IsUndoneAndNotRetriedAtOnce()
    {
        var policy = new ReactorScalingPolicy(2);
        Feed(policy, ReactorScalingPolicy.SustainIntervals, Saturated(30_000));
        Assert.Equal(2, policy.Active);

        // Same cores as the client: two reactors answer less.
        Feed(policy, Trial, Busy(20_000, runQueueWait: 0.4));
        Assert.Equal(1, policy.Active);
        Assert.StartsWith("undone", policy.LastReason, StringComparison.Ordinal);

        // Still saturated with spare CPU, but within the back-off: no new trial.
        Feed(policy, ReactorScalingPolicy.FirstBackoffIntervals - 1, Saturated(30_000));
        Assert.Equal(1, policy.Active);
        Assert.False(policy.InTrial);
    }

    [Fact]
    public void RepeatedFailedTrials_BackOffLongerEachTime()
    {
        var policy = new ReactorScalingPolicy(2);
        var trialsStarted = 0;
        var wasActive = policy.Active;

        // 200 intervals (50 s) of a load where a second reactor always loses: each failure doubles the wait.
        for (var i = 0; i < 200; i++)
        {
            var signals = policy.Active == 2 ? Busy(20_000, runQueueWait: 0.4) : Saturated(30_000);
            policy.Observe(signals);
            if (policy.Active == 2 && wasActive == 1)
            {
                trialsStarted++;
            }

            wasActive = policy.Active;
        }

        // Without back-off a trial would start every SustainIntervals + trial length (7 intervals): ~28 trials.
        Assert.InRange(trialsStarted, 1, 6);
        Assert.Equal(1, policy.Active);
    }

    [Fact]
    public void OversubscribedReactors_ShrinkWhenFewerAnswerAsMuch()
    {
        var policy = Grown();

        // Both reactors wait for a CPU a third of the time.
        Feed(policy, ReactorScalingPolicy.SustainIntervals, Busy(20_000, runQueueWait: 0.33));
        Assert.Equal(1, policy.Active);
        Assert.True(policy.InTrial);

        // One reactor answers more than the two did: kept.
        Feed(policy, Trial, Saturated(24_000) with { SpareCpus = 0 });
        Assert.Equal(1, policy.Active);
        Assert.StartsWith("kept", policy.LastReason, StringComparison.Ordinal);
    }

    [Fact]
    public void ShrinkThatCostsThroughput_IsUndone()
    {
        var policy = Grown();

        Feed(policy, ReactorScalingPolicy.SustainIntervals, Busy(30_000, runQueueWait: 0.2));
        Assert.Equal(1, policy.Active);

        // One reactor alone answers 40 % less (a CPU-heavy plugin): back to two.
        Feed(policy, Trial, Saturated(18_000));
        Assert.Equal(2, policy.Active);
        Assert.StartsWith("undone", policy.LastReason, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkThatFitsOnFewerReactors_IsConcentrated()
    {
        var policy = Grown();

        Feed(policy, ReactorScalingPolicy.SustainIntervals, new ReactorSignals(0.1, 0.2, 0, 0, 2_000, 1.6));
        Assert.Equal(1, policy.Active);
        Feed(policy, Trial, new ReactorSignals(0.2, 0.2, 0, 0, 2_000, 1.6));
        Assert.Equal(1, policy.Active);
    }

    [Fact]
    public void NoRequestsAtAll_ConcentratesWithoutATrial()
    {
        var policy = Grown();

        Feed(policy, ReactorScalingPolicy.SustainIntervals, new ReactorSignals(0, 0, 0, 0, 0, 2));

        Assert.Equal(1, policy.Active);
        Assert.False(policy.InTrial);
    }

    [Fact]
    public void SteadySignalsNearTheThresholds_DoNotFlap()
    {
        var policy = Grown();
        var changes = 0;
        var last = policy.Active;

        // Alternating just-saturated and just-oversubscribed intervals: no condition holds for long enough.
        for (var i = 0; i < 400; i++)
        {
            policy.Observe(i % 2 == 0 ? Busy(20_000, runQueueWait: 0.11) : Busy(20_000, runQueueWait: 0.02));
            if (policy.Active != last)
            {
                changes++;
                last = policy.Active;
            }
        }

        Assert.Equal(0, changes);
    }

    [Fact]
    public void NeverLeavesOneToMax()
    {
        var policy = new ReactorScalingPolicy(3);
        for (var i = 0; i < 300; i++)
        {
            policy.Observe(Saturated(10_000 * policy.Active));
            Assert.InRange(policy.Active, 1, 3);
        }

        Assert.Equal(3, policy.Active);
    }

    /// <summary>A policy that grew to two reactors and kept them, past the hold that follows.</summary>
    private static ReactorScalingPolicy Grown()
    {
        var policy = new ReactorScalingPolicy(2);
        Feed(policy, ReactorScalingPolicy.SustainIntervals, Saturated(10_000));
        Feed(policy, Trial, Busy(18_000, runQueueWait: 0));
        Assert.Equal(2, policy.Active);
        Feed(policy, ReactorScalingPolicy.KeptHoldIntervals, Busy(18_000, runQueueWait: 0.0, busy: 0.8));
        Assert.Equal(2, policy.Active);
        return policy;
    }

    private static ReactorSignals FanOut(double pushes) => new(0.97, 0.97, 0.3, 20_000, pushes / 10_000, 0, pushes);

    private static ReactorSignals Saturated(double rate) => new(0.98, 0.98, 0.01, 10, rate, 0.8);

    private static ReactorSignals Busy(double rate, double runQueueWait, double busy = 0.8) =>
        new(busy, busy * 2, runQueueWait, runQueueWait * 5000, rate, 0.05);

    private static void Feed(ReactorScalingPolicy policy, int intervals, ReactorSignals signals)
    {
        for (var i = 0; i < intervals; i++)
        {
            policy.Observe(signals);
        }
    }
}
