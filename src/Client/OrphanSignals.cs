namespace PluggableNet.Client;

/// <summary>What <see cref="ResendPolicy"/> knows about one request left waiting on a connection that ended.</summary>
/// <param name="End">How the connection ended.</param>
/// <param name="Completed">The request already completed (answered, timed out or cancelled).</param>
/// <param name="ClientDisposed">The client is being disposed.</param>
/// <param name="SentWhole">All its bytes were handed to the kernel before the connection ended.</param>
/// <param name="Idempotent">It is safe to process twice.</param>
/// <param name="Retried">It already used its one retry.</param>
/// <param name="GracefulCloses">Graceful closes that left it unanswered before this one.</param>
internal readonly record struct OrphanSignals(
    ConnectionEnd End,
    bool Completed,
    bool ClientDisposed,
    bool SentWhole,
    bool Idempotent,
    bool Retried,
    int GracefulCloses);
