namespace PluggableNet.Client;

/// <summary>What happens to a request left waiting on a connection that ended: the answer of <see cref="ResendPolicy"/>.</summary>
internal enum ResendDecision
{
    /// <summary>It already completed (answered, timed out, cancelled): only let go of it.</summary>
    Release,

    /// <summary>The client is being disposed: fail it, as possibly processed.</summary>
    FailDisposed,

    /// <summary>A graceful close left it unprocessed: send it again, waiting for an endpoint to come back if need be.</summary>
    ResendAfterGracefulClose,

    /// <summary>Graceful closes left it unanswered more often than allowed: fail it, as possibly processed.</summary>
    FailAfterGracefulCloses,

    /// <summary>It was never sent whole, so never processed: send it again, whatever it does.</summary>
    ResendNeverSent,

    /// <summary>It was sent whole and is idempotent, not yet retried: send it once more.</summary>
    Retry,

    /// <summary>It was sent whole and may have been processed: fail it.</summary>
    Fail,

    /// <summary>Protocol v2: the server said it did not process it (GOAWAY below its id, ERROR SHUTTING_DOWN or OVERLOADED): send it again.</summary>
    ResendRefused,

    /// <summary>Protocol v2: refused more often than allowed: fail it, as certainly not processed.</summary>
    FailRefused,
}
