using PluggableNet.Client;

namespace PluggableNet.UnitTests.Client;

/// <summary>
/// Protocol v2's certain answers: a request a server handed back unprocessed is resent whatever it does (within a
/// bound), and one left unanswered after GOAWAY at or below its last id follows the rules of a broken connection.
/// </summary>
public sealed class RefusedRequestPolicyTests
{
    private static readonly OrphanSignals s_goneAway = new(ConnectionEnd.GoneAway, Completed: false, ClientDisposed: false, SentWhole: true, Idempotent: false, Retried: false, GracefulCloses: 0);

    [Fact]
    public void ARefusedRequestIsResentEvenWhenGracefulResendsAreOff()
    {
        var atMostOnce = new ResendPolicy(maxResendsOnGracefulClose: 0);

        Assert.Equal(ResendDecision.ResendRefused, atMostOnce.DecideRefused(completed: false, clientDisposed: false, refusals: 0));
    }

    [Fact]
    public void ARefusedRequestIsResentUpToTheBoundThenFails()
    {
        var policy = new ResendPolicy(3);

        Assert.Equal(ResendDecision.ResendRefused, policy.DecideRefused(false, false, ResendPolicy.MaxResendsWhenRefused - 1));
        Assert.Equal(ResendDecision.FailRefused, policy.DecideRefused(false, false, ResendPolicy.MaxResendsWhenRefused));
    }

    [Fact]
    public void ACompletedRefusedRequestIsOnlyReleasedAndADisposingClientFailsIt()
    {
        var policy = new ResendPolicy(3);

        Assert.Equal(ResendDecision.Release, policy.DecideRefused(completed: true, clientDisposed: true, refusals: 0));
        Assert.Equal(ResendDecision.FailDisposed, policy.DecideRefused(completed: false, clientDisposed: true, refusals: 0));
    }

    [Fact]
    public void LeftUnansweredAfterGoAwayIsUncertainAsAfterABreak()
    {
        var policy = new ResendPolicy(3);

        Assert.Equal(ResendDecision.Fail, policy.Decide(s_goneAway));
        Assert.Equal(ResendDecision.Retry, policy.Decide(s_goneAway with { Idempotent = true }));
        Assert.Equal(ResendDecision.ResendNeverSent, policy.Decide(s_goneAway with { SentWhole = false }));
    }
}
