using System.Threading.Tasks.Sources;

namespace PluggableNet.Client;

/// <summary>
/// A reusable wake-up for one waiter (a connection's send loop): <see cref="Reset"/> then <see cref="WaitAsync"/>
/// on the waiter's side, <see cref="Set"/> from any thread. Allocation-free, unlike a SemaphoreSlim wait.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _set;

    /// <summary>Arms the signal; call before publishing that the waiter waits.</summary>
    public void Reset()
    {
        _core.Reset();
        Volatile.Write(ref _set, 0);
    }

    public ValueTask WaitAsync() => new(this, _core.Version);

    /// <summary>Wakes the waiter; a second call before the next <see cref="Reset"/> does nothing.</summary>
    public void Set()
    {
        if (Interlocked.Exchange(ref _set, 1) == 0)
        {
            _core.SetResult(true);
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
