using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// One request waiting for its worker's answer: a pooled, resettable completion, so a request in steady state
/// allocates nothing here. Returned to the pool when its awaiter has read the result.
/// </summary>
internal sealed class WorkerCall : IValueTaskSource, IWorkerCall
{
    private static readonly ConcurrentBag<WorkerCall> s_pool = [];
    private ManualResetValueTaskSourceCore<bool> _core;

    private WorkerCall()
    {
        // The reader thread completes it and runs the continuation at once: it only wakes the connection.
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>Where the answer payload goes; written by the worker's reader thread before completion.</summary>
    public IBufferWriter<byte>? Answer { get; private set; }

    /// <summary>When it was sent, in <see cref="Environment.TickCount64"/> milliseconds: the watchdog's clock.</summary>
    public long SentAtMs { get; private set; }

    public short Version => _core.Version;

    public static WorkerCall Rent(IBufferWriter<byte> answer, long now)
    {
        if (!s_pool.TryTake(out var call))
        {
            call = new WorkerCall();
        }

        call.Answer = answer;
        call.SentAtMs = now;
        return call;
    }

    public ValueTask AsValueTask() => new(this, _core.Version);

    public void Succeed() => _core.SetResult(true);

    public IsolatedCalls? Fail(Exception exception)
    {
        _core.SetException(exception);
        return null;
    }

    public IsolatedCalls? Complete(byte kind, ReadOnlySpan<byte> payload)
    {
        if (kind == WorkerFrames.Answer)
        {
            Answer!.Write(payload);
            Succeed();
        }
        else
        {
            Fail(new WorkerPluginException(System.Text.Encoding.UTF8.GetString(payload)));
        }

        return null;
    }

    public void GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            Answer = null;
            _core.Reset();
            s_pool.Add(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
