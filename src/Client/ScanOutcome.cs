namespace PluggableNet.Client;

/// <summary>What one timeout scan of a connection did, for the client to count and log.</summary>
/// <param name="TimedOut">Requests failed with <see cref="TimeoutException"/> by this scan.</param>
/// <param name="Stalled">The connection has just stopped taking new requests (its oldest request timed out).</param>
internal readonly record struct ScanOutcome(int TimedOut, bool Stalled);
