using PluggableNet.Client;

namespace PluggableNet.UnitTests.Client;

/// <summary>Every branch of the resend/retry/fail decision, on synthetic requests left by a connection that ended.</summary>
/// <remarks>Theories name the <see cref="ConnectionEnd"/> as text: the enum is internal, the test methods public.</remarks>
public sealed class ResendPolicyTests
{
    private static readonly ResendPolicy s_policy = new(maxResendsOnGracefulClose: 3);

    /// <summary>Sent whole on a connection that broke, not idempotent, never retried or resent: the plain case.</summary>
    private static readonly OrphanSignals s_broken = new(ConnectionEnd.Broken, Completed: false, ClientDisposed: false, SentWhole: true, Idempotent: false, Retried: false, GracefulCloses: 0);

    [Theory]
    [InlineData(nameof(ConnectionEnd.Broken))]
    [InlineData(nameof(ConnectionEnd.Graceful))]
    [InlineData(nameof(ConnectionEnd.ClosedByClient))]
    public void ACompletedRequestIsOnlyReleased(string end) =>
        Assert.Equal(ResendDecision.Release, s_policy.Decide(s_broken with { End = Enum.Parse<ConnectionEnd>(end), Completed = true, ClientDisposed = true }));

    [Theory]
    [InlineData(nameof(ConnectionEnd.Broken))]
    [InlineData(nameof(ConnectionEnd.Graceful))]
    [InlineData(nameof(ConnectionEnd.ClosedByClient))]
    public void DisposingTheClientFailsEveryWaitingRequest(string end) =>
        Assert.Equal(ResendDecision.FailDisposed, s_policy.Decide(s_broken with { End = Enum.Parse<ConnectionEnd>(end), ClientDisposed = true, Idempotent = true, SentWhole = false }));

    [Fact]
    public void AGracefulCloseResendsEvenARequestSentWholeThatIsNotIdempotent() =>
        Assert.Equal(ResendDecision.ResendAfterGracefulClose, s_policy.Decide(s_broken with { End = ConnectionEnd.Graceful }));

    [Fact]
    public void AGracefulCloseResendsUpToTheLimit()
    {
        Assert.Equal(ResendDecision.ResendAfterGracefulClose, s_policy.Decide(s_broken with { End = ConnectionEnd.Graceful, GracefulCloses = 2 }));
        Assert.Equal(ResendDecision.FailAfterGracefulCloses, s_policy.Decide(s_broken with { End = ConnectionEnd.Graceful, GracefulCloses = 3 }));
    }

    [Fact]
    public void NoResendsAllowedFailsAtTheFirstGracefulClose() =>
        Assert.Equal(ResendDecision.FailAfterGracefulCloses, new ResendPolicy(0).Decide(s_broken with { End = ConnectionEnd.Graceful }));

    [Fact]
    public void AGracefulCloseIgnoresTheRetryAnIdempotentRequestUsed() =>
        Assert.Equal(ResendDecision.ResendAfterGracefulClose, s_policy.Decide(s_broken with { End = ConnectionEnd.Graceful, Idempotent = true, Retried = true }));

    [Theory]
    [InlineData(nameof(ConnectionEnd.Broken), false)]
    [InlineData(nameof(ConnectionEnd.Broken), true)]
    [InlineData(nameof(ConnectionEnd.ClosedByClient), false)]
    public void ARequestNeverSentWholeIsResentWhateverItDoes(string end, bool retried) =>
        Assert.Equal(ResendDecision.ResendNeverSent, s_policy.Decide(s_broken with { End = Enum.Parse<ConnectionEnd>(end), SentWhole = false, Retried = retried }));

    [Theory]
    [InlineData(nameof(ConnectionEnd.Broken))]
    [InlineData(nameof(ConnectionEnd.ClosedByClient))]
    public void AnIdempotentRequestSentWholeIsRetriedOnce(string end)
    {
        Assert.Equal(ResendDecision.Retry, s_policy.Decide(s_broken with { End = Enum.Parse<ConnectionEnd>(end), Idempotent = true }));
        Assert.Equal(ResendDecision.Fail, s_policy.Decide(s_broken with { End = Enum.Parse<ConnectionEnd>(end), Idempotent = true, Retried = true }));
    }

    [Theory]
    [InlineData(nameof(ConnectionEnd.Broken))]
    [InlineData(nameof(ConnectionEnd.ClosedByClient))]
    public void APlainRequestSentWholeFails(string end) =>
        Assert.Equal(ResendDecision.Fail, s_policy.Decide(s_broken with { End = Enum.Parse<ConnectionEnd>(end) }));
}
