namespace PluggableNet.Client;

/// <summary>
/// What a <see cref="ClientConnection"/> reports when it is over: how and why it ended, and the requests it leaves
/// unanswered for the client to resend, retry or fail. The connection decides nothing about them.
/// </summary>
/// <param name="How">How it ended.</param>
/// <param name="Reason">Why, as a phrase after "the connection to X" (e.g. "was reset by the server").</param>
/// <param name="Error">The exception that ended it, if any.</param>
/// <param name="Orphans">Requests written or queued whose answer never came, oldest first (completed ones included).</param>
/// <param name="SentBytes">Bytes handed to the kernel: a request ending past it was never sent whole.</param>
internal sealed record ConnectionEnded(ConnectionEnd How, string Reason, Exception? Error, IReadOnlyList<PendingRequest> Orphans, long SentBytes)
{
    /// <summary>Whether <paramref name="request"/>, left by this connection, reached the kernel whole.</summary>
    public bool SentWhole(PendingRequest request) => request.EndOffset <= SentBytes;
}
