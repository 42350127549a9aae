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
/// </remarks>
internal sealed class OffloadGate(int capacity, int maxAbandoned = int.MaxValue)
{
    private int _running;
    private int _abandoned;
    private long _abandonedBytes;

    public int Capacity { get; } = capacity;

    /// <summary><c>Limits:MaxAbandonedOffloads</c>: abandoned calls that give their slot back.</summary>
    public int MaxAbandoned { get; } = maxAbandoned;

    /// <summary>Calls running for a connection that still waits for them.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Abandoned calls still running.</summary>
    public int Abandoned => Volatile.Read(ref _abandoned);

    /// <summary>Request bytes the abandoned calls still hold.</summary>
    public long AbandonedBytes => Volatile.Read(ref _abandonedBytes);

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

    public void Exit() => Interlocked.Decrement(ref _running);

    /// <summary>A running call's connection is gone: it stops counting as running and starts counting as abandoned.</summary>
    public void Abandon(int bytes)
    {
        Interlocked.Increment(ref _abandoned);
        Interlocked.Add(ref _abandonedBytes, bytes);
        Interlocked.Decrement(ref _running);
    }

    /// <summary>An abandoned call really ended.</summary>
    public void AbandonedEnded(int bytes)
    {
        Interlocked.Add(ref _abandonedBytes, -bytes);
        Interlocked.Decrement(ref _abandoned);
    }
}
