using System.Threading.Tasks.Sources;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// What a sockets connection's loop waits for, as bits any thread may set (a wake, a readable socket, an abort, a
/// free offload slot): one reusable awaitable per connection, so a push delivered to a parked connection allocates
/// nothing (no TaskCompletionSource to replace, no CancellationTokenSource to cancel, no exception out of a cancelled
/// receive).
/// </summary>
/// <remarks>
/// The protocol that makes a lost wake impossible: a bit stays set until the loop takes it; a wait that starts with a
/// bit of its mask set completes at once; <see cref="Set"/> and <see cref="WaitAsync"/> decide under one lock, and
/// the setter completes the wait under that lock too. Completing outside it (aab1379) let the loop, having seen the
/// completion through <c>IsCompleted</c>, reset the core for its next wait while the setter was still inside
/// <c>SetResult</c>: the core was then left holding the completion sentinel of the wait before, and the next wait
/// ran its continuation without a result. Completing under the lock costs one queued work item: continuations
/// always run asynchronously.
/// </remarks>
internal sealed class LoopSignal : IValueTaskSource
{
    public const int Woken = 1;
    public const int Readable = 2;
    public const int Aborted = 4;
    public const int SlotFreed = 8;

    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _bits;

    // The bits the pending wait ends on; 0 while the loop is not waiting.
    private int _waitMask;

    /// <summary>
    /// Any thread: sets <paramref name="bits"/> and ends the loop's wait if it waits for one of them. The loop resumes
    /// on the thread pool, never on the caller's thread: a broadcast to thousands must not run every member's loop
    /// itself.
    /// </summary>
    public void Set(int bits)
    {
        lock (_lock)
        {
            // Atomic, as Take runs outside the lock: a plain |= could bring back a bit Take just cleared.
            Interlocked.Or(ref _bits, bits);
            if ((_waitMask & bits) == 0)
            {
                return;
            }

            _waitMask = 0;
            _core.SetResult(true);
        }
    }

    /// <summary>The loop: clears <paramref name="bits"/>; true if one of them was set.</summary>
    public bool Take(int bits) => (Interlocked.And(ref _bits, ~bits) & bits) != 0;

    /// <summary>Any thread: whether one of <paramref name="bits"/> is set, leaving them set.</summary>
    public bool IsSet(int bits) => (Volatile.Read(ref _bits) & bits) != 0;

    /// <summary>
    /// The loop, only once its previous wait completed: completes once one of <paramref name="mask"/> is set (at once
    /// if one already is).
    /// </summary>
    public ValueTask WaitAsync(int mask)
    {
        lock (_lock)
        {
            if ((_bits & mask) != 0)
            {
                return default;
            }

            _core.Reset();
            _waitMask = mask;
            return new ValueTask(this, _core.Version);
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
