namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// A request sent to a worker and not yet answered, as the worker's reader thread sees it: completed with the answer
/// (or the plugin's fault), or failed when the worker is gone. Returns the connection-side batch to wake once the
/// whole read is done, or null when there is nobody to wake (or the call was abandoned).
/// </summary>
internal interface IWorkerCall
{
    /// <summary>When it was queued, in <see cref="Environment.TickCount64"/> milliseconds: the watchdog's clock.</summary>
    long SentAtMs { get; }

    /// <summary>Reader thread: <paramref name="kind"/> is <see cref="WorkerFrames.Answer"/> or <see cref="WorkerFrames.Fault"/>.</summary>
    IsolatedCalls? Complete(byte kind, ReadOnlySpan<byte> payload);

    /// <summary>The worker is gone before answering.</summary>
    IsolatedCalls? Fail(Exception exception);
}
