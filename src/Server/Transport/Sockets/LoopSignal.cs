using System.Threading.Tasks.Sources;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// What a sockets connection's loop waits for, as bits any thread may set (a wake, a readable socket, an abort, a
/// free offload slot): one reusable awaitable per connection, so a push delivered to a parked connection allocates
/// nothing (no TaskCompletionSource to replace, no CancellationTokenSource to cancel, no exception out of a cancelled
/// receive). A bit set before the loop waits is seen by the wait, so no wake is lost; a bit stays set until the loop
/// takes it.
/// </summary>
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
    /// itself, and a receive's completion callback must not start the next receive from inside the socket engine's
    /// own completion (tried: that receive then waited for the next readiness edge, with its data already there).
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
        }

        // Only the setter that cleared the mask completes this wait, and the loop resets it only once resumed.
        _core.SetResult(true);
    }

    /// <summary>The loop: clears <paramref name="bits"/>; true if one of them was set.</summary>
    public bool Take(int bits) => (Interlocked.And(ref _bits, ~bits) & bits) != 0;

    /// <summary>The loop: completes once one of <paramref name="mask"/> is set (at once if one already is).</summary>
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
