using Serilog.Sinks.Async;

namespace PluggableNet.Host.Service;

/// <summary>
/// The bounded queue between the threads that log and the sinks: its capacity, and how many events it had to drop
/// because the sinks did not keep up (reported by <see cref="LogQueueWatcher"/>).
/// </summary>
internal sealed class LogQueue : IAsyncLogEventSinkMonitor
{
    /// <summary>Events waiting for the sinks before new ones are dropped: a few seconds of a busy log.</summary>
    public const int Capacity = 10_000;

    public static readonly LogQueue Monitor = new();

    private IAsyncLogEventSinkInspector? _inspector;

    private LogQueue()
    {
    }

    /// <summary>Events dropped since start because the queue was full.</summary>
    public long Dropped => _inspector?.DroppedMessagesCount ?? 0;

    /// <summary>Events waiting for the sinks now.</summary>
    public int Waiting => _inspector?.Count ?? 0;

    public void StartMonitoring(IAsyncLogEventSinkInspector inspector) => _inspector = inspector;

    public void StopMonitoring(IAsyncLogEventSinkInspector inspector)
    {
        if (ReferenceEquals(_inspector, inspector))
        {
            _inspector = null;
        }
    }
}
