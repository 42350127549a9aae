namespace PluggableNet.Client;

/// <summary>
/// Decides what becomes of a request whose connection ended before its answer. Pure: signals in, decision out, no
/// clock, no sockets, so every branch is tested on synthetic requests; the client carries the decision out.
/// </summary>
/// <remarks>
/// The order matters. A completed request is only released. A disposing client fails everything. A graceful close (a
/// draining host at a frame boundary) processed nothing it left unanswered, so the request is resent, but only
/// <see cref="MaxResendsOnGracefulClose"/> times: a host also closes so after a plugin fault. Otherwise, a request not
/// sent whole was never processed and is resent; one sent whole may have been, so only an idempotent one is sent once
/// more. A v2 connection that ended after GOAWAY (<see cref="ConnectionEnd.GoneAway"/>) leaves only requests at or
/// below the last id unanswered, which may have been processed: they follow the same rules as after a break.
/// </remarks>
internal sealed class ResendPolicy(int maxResendsOnGracefulClose)
{
    /// <summary>How often a request refused unprocessed (protocol v2) is resent before it fails.</summary>
    public const int MaxResendsWhenRefused = 5;

    public int MaxResendsOnGracefulClose { get; } = maxResendsOnGracefulClose;

    public ResendDecision Decide(in OrphanSignals request)
    {
        if (request.Completed)
        {
            return ResendDecision.Release;
        }

        if (request.ClientDisposed)
        {
            return ResendDecision.FailDisposed;
        }

        if (request.End == ConnectionEnd.Graceful)
        {
            return request.GracefulCloses + 1 > MaxResendsOnGracefulClose
                ? ResendDecision.FailAfterGracefulCloses
                : ResendDecision.ResendAfterGracefulClose;
        }

        if (!request.SentWhole)
        {
            return ResendDecision.ResendNeverSent;
        }

        return request.Idempotent && !request.Retried ? ResendDecision.Retry : ResendDecision.Fail;
    }

    /// <summary>
    /// Protocol v2: what becomes of a request a server handed back unprocessed (GOAWAY with a lower last id, ERROR
    /// SHUTTING_DOWN or OVERLOADED). It is certainly not processed, so it is resent whatever it does and whatever
    /// <see cref="MaxResendsOnGracefulClose"/> says (that bound is for closes that leave a doubt), up to
    /// <see cref="MaxResendsWhenRefused"/> times, so servers that refuse everything cannot make it loop.
    /// </summary>
    /// <param name="completed">It already completed (timed out, cancelled).</param>
    /// <param name="clientDisposed">The client is being disposed.</param>
    /// <param name="refusals">Refusals before this one.</param>
    public ResendDecision DecideRefused(bool completed, bool clientDisposed, int refusals)
    {
        if (completed)
        {
            return ResendDecision.Release;
        }

        if (clientDisposed)
        {
            return ResendDecision.FailDisposed;
        }

        return refusals + 1 > MaxResendsWhenRefused ? ResendDecision.FailRefused : ResendDecision.ResendRefused;
    }
}
