using System.Collections.Concurrent;
using System.Text;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// One request of a connection's batch to a worker (<see cref="IsolatedCalls"/>): pooled with its answer array, so a
/// request in steady state allocates nothing. The worker's reader thread copies the answer in and marks it done; the
/// connection's thread writes it out and returns it. A call the connection gave up (closed, cancelled, timed out) is
/// returned by whichever side comes second, so neither ever reads a reused one.
/// </summary>
internal sealed class IsolatedCall : IWorkerCall
{
    private const int Pending = 0;
    private const int Done = 1;
    private const int Abandoned = 2;

    /// <summary>Answer arrays above this are not kept when the call returns to the pool.</summary>
    private const int KeptAnswerBytes = 64 * 1024;

    private static readonly ConcurrentBag<IsolatedCall> s_pool = [];
    private byte[] _answer = [];
    private int _state;
    private IsolatedCalls? _owner;
    private PluginLease _lease;
    private int _maxAnswerBytes;

    /// <summary>The client's request id (v2), 0 on v1.</summary>
    public uint ClientId { get; private set; }

    public long SentAtMs { get; private set; }

    /// <summary>When it was queued, a <see cref="System.Diagnostics.Stopwatch"/> timestamp, for <c>pluggablenet.request.duration</c>.</summary>
    public long StartedAt { get; private set; }

    /// <summary>The generation it runs on, pinned until the call is returned: a swap drains it.</summary>
    public PluginGeneration Generation => _lease.Generation;

    /// <summary>Set by the reader thread before <see cref="IsDone"/>: the plugin's fault or the worker's death.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>The answer's length, kept or not (see <see cref="Overflowed"/>).</summary>
    public int AnswerLength { get; private set; }

    /// <summary>The answer is larger than a frame can carry: its bytes were not kept.</summary>
    public bool Overflowed => AnswerLength > _maxAnswerBytes;

    public ReadOnlySpan<byte> Answer => _answer.AsSpan(0, AnswerLength);

    public bool IsDone => Volatile.Read(ref _state) == Done;

    public static IsolatedCall Rent(IsolatedCalls owner, PluginGeneration generation, uint clientId, int maxAnswerBytes, long now)
    {
        if (!s_pool.TryTake(out var call))
        {
            call = new IsolatedCall();
        }

        call._owner = owner;
        call._lease = PluginLease.Pin(generation);
        call._maxAnswerBytes = maxAnswerBytes;
        call.ClientId = clientId;
        call.SentAtMs = now;
        call.StartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        return call;
    }

    public IsolatedCalls? Complete(byte kind, ReadOnlySpan<byte> payload)
    {
        if (Volatile.Read(ref _state) == Pending)
        {
            if (kind == WorkerFrames.Answer)
            {
                AnswerLength = payload.Length;
                if (payload.Length <= _maxAnswerBytes)
                {
                    if (_answer.Length < payload.Length)
                    {
                        _answer = GC.AllocateUninitializedArray<byte>(Math.Max(payload.Length, Math.Min(2 * _answer.Length, _maxAnswerBytes)));
                    }

                    payload.CopyTo(_answer);
                }
            }
            else
            {
                Failure = new WorkerPluginException(Encoding.UTF8.GetString(payload));
            }
        }

        return Finish();
    }

    public IsolatedCalls? Fail(Exception exception)
    {
        if (Volatile.Read(ref _state) == Pending)
        {
            Failure = exception;
        }

        return Finish();
    }

    /// <summary>Connection thread, once its outcome was written: unpins the generation and returns to the pool.</summary>
    public void Release()
    {
        _lease.Dispose();
        Return();
    }

    /// <summary>Never sent (no live worker): unpins and returns at once.</summary>
    public void ReleaseUnsent() => Release();

    /// <summary>
    /// Connection thread: nobody wants the answer any more. A swap stops waiting for it at once; the pin and the call
    /// are released when the worker answers (or dies), or now if it already did.
    /// </summary>
    public void Abandon()
    {
        _lease.Abandon();
        if (Interlocked.CompareExchange(ref _state, Abandoned, Pending) != Pending)
        {
            ReleaseAbandoned();
        }
    }

    private IsolatedCalls? Finish()
    {
        if (Interlocked.CompareExchange(ref _state, Done, Pending) == Pending)
        {
            return _owner;
        }

        ReleaseAbandoned();
        return null;
    }

    private void ReleaseAbandoned()
    {
        _lease.DisposeAbandoned();
        Return();
    }

    private void Return()
    {
        _owner = null;
        _lease = default;
        Failure = null;
        AnswerLength = 0;
        if (_answer.Length > KeptAnswerBytes)
        {
            _answer = [];
        }

        Volatile.Write(ref _state, Pending);
        s_pool.Add(this);
    }
}
