namespace PluggableNet.Server.Connections;

/// <summary>
/// Caps the offloaded requests running at once across the host. A connection that finds the gate full
/// stops reading until a slot frees, so pressure reaches the clients instead of an unbounded queue.
/// </summary>
/// <remarks>
/// A call whose connection is gone is abandoned: cancelled, and no longer counted as running, so a plugin that
/// ignores cancellation cannot wedge offloaded work. But it still runs and holds its request buffer, so abandoned
/// calls are bounded too: beyond <see cref="MaxAbandoned"/> each keeps occupying a slot until it really ends. At most
/// <see cref="Capacity"/> + <see cref="MaxAbandoned"/> plugin calls therefore run at once, whatever plugins do.
/// A transport that finds the gate full registers an <see cref="IOffloadSlotWaiter"/>; whenever a slot frees, as many
/// waiters are signalled as there are free slots, first come first served, so nobody polls.
/// </remarks>
internal sealed class OffloadGate(int capacity, int maxAbandoned = int.MaxValue)
{
    private readonly Queue<IOffloadSlotWaiter> _waiters = new();
    private int _running;
    private int _abandoned;
    private long _abandonedBytes;
    private int _waiterCount;

    public int Capacity { get; } = capacity;

    /// <summary><c>Limits:MaxAbandonedOffloads</c>: abandoned calls that give their slot back.</summary>
    public int MaxAbandoned { get; } = maxAbandoned;

    /// <summary>Calls running for a connection that still waits for them.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Abandoned calls still running.</summary>
    public int Abandoned => Volatile.Read(ref _abandoned);

    /// <summary>Request bytes the abandoned calls still hold.</summary>
    public long AbandonedBytes => Volatile.Read(ref _abandonedBytes);

    /// <summary>Slots free now: the capacity less the running calls and the abandoned ones beyond <see cref="MaxAbandoned"/>.</summary>
    private int FreeSlots => Capacity - Volatile.Read(ref _running) - Math.Max(0, Abandoned - MaxAbandoned);

    public bool TryEnter()
    {
        while (true)
        {
            var running = Volatile.Read(ref _running);
            if (running + Math.Max(0, Abandoned - MaxAbandoned) >= Capacity)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _running, running + 1, running) == running)
            {
                return true;
            }
        }
    }

    public void Exit()
    {
        Interlocked.Decrement(ref _running);
        WakeWaiters();
    }

    /// <summary>A running call's connection is gone: it stops counting as running and starts counting as abandoned.</summary>
    public void Abandon(int bytes)
    {
        Interlocked.Increment(ref _abandoned);
        Interlocked.Add(ref _abandonedBytes, bytes);
        Interlocked.Decrement(ref _running);
        WakeWaiters();
    }

    /// <summary>An abandoned call really ended.</summary>
    public void AbandonedEnded(int bytes)
    {
        Interlocked.Add(ref _abandonedBytes, -bytes);
        Interlocked.Decrement(ref _abandoned);
        WakeWaiters();
    }

    /// <summary>
    /// Signals <paramref name="waiter"/> once, when a slot may be free: at once if one is free now (so a slot freed
    /// between a failed <see cref="TryEnter"/> and this call is never missed), otherwise when one frees.
    /// </summary>
    public void WaitForSlot(IOffloadSlotWaiter waiter)
    {
        lock (_waiters)
        {
            _waiters.Enqueue(waiter);
            Interlocked.Increment(ref _waiterCount);
        }

        WakeWaiters();
    }

    /// <summary>
    /// Signals as many waiters as slots are free. Called whenever a slot frees, and by a waiter that was signalled
    /// and went away without taking its slot (its connection closed), so the next one is not left waiting.
    /// </summary>
    public void WakeWaiters()
    {
        // The common case, a slot freed with nobody waiting, costs one read. Registering increments the count before
        // it checks for a free slot, and freeing a slot decrements _running before it reads the count (both full
        // fences): one of the two always sees the other.
        if (Volatile.Read(ref _waiterCount) == 0)
        {
            return;
        }

        lock (_waiters)
        {
            var free = FreeSlots;
            while (free > 0 && _waiters.TryDequeue(out var waiter))
            {
                Interlocked.Decrement(ref _waiterCount);
                if (waiter.OnSlotMayBeFree())
                {
                    free--;
                }
            }
        }
    }
}
