namespace PluggableNet.Client;

/// <summary>What a <see cref="PluggableNetClient"/> has done so far, for reports and metrics; counts since it was created.</summary>
/// <param name="Resent">Requests sent again because they were certainly not processed: left unanswered by a graceful close, or never sent whole.</param>
/// <param name="Retried">Idempotent requests sent a second time after their connection died (they may have been processed).</param>
/// <param name="ConnectionFailures">Requests that failed with <see cref="PluggableNetConnectionException"/>.</param>
/// <param name="Timeouts">Requests that failed with <see cref="TimeoutException"/>.</param>
public readonly record struct ClientCounters(long Resent, long Retried, long ConnectionFailures, long Timeouts);
