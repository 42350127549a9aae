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
/// more.
/// </remarks>
internal sealed class ResendPolicy(int maxResendsOnGracefulClose)
{
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
}
