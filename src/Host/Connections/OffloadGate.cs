namespace PluggableNet.Host.Connections;

/// <summary>
/// Caps the offloaded requests running at once across the host. A connection that finds the gate full
/// stops reading until a slot frees, so pressure reaches the clients instead of an unbounded queue.
/// </summary>
internal sealed class OffloadGate(int capacity)
{
    private int _running;

    public int Capacity { get; } = capacity;

    public int Running => Volatile.Read(ref _running);

    public bool TryEnter()
    {
        while (true)
        {
            var running = Volatile.Read(ref _running);
            if (running >= Capacity)
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
}
