using System.Collections.Concurrent;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Plugins;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// Offloaded requests seen from the reactor: a completion queued by the thread pool and a wake-up, then the answer
/// written on this thread; and waiting for an offload slot, signalled by the gate when one frees.
/// </summary>
internal sealed unsafe partial class EpollReactor
{
    private readonly ConcurrentQueue<EpollConnection> _completions = new();
    private readonly List<EpollConnection> _slotWaiters = [];

    // Set by the offload gate (any thread) when a slot may have freed; _waitingForSlot: registered with the gate and not
    // yet signalled (reactor thread only).
    private int _slotSignalled;
    private bool _waitingForSlot;

    /// <summary>Any thread: <paramref name="connection"/> gets a turn (<see cref="FrameConnection.OnWake"/>) on the next pass.</summary>
    public void QueueWake(EpollConnection connection)
    {
        _completions.Enqueue(connection);
        if (!DeferWakeToPass())
        {
            Wake();
        }
    }

    // Its own method: a lambda capturing `connection` in Update would make the compiler allocate the closure on
    // every call of Update, offloaded or not.
    private void HookOffloadCompletion(EpollConnection connection, Task task)
    {
        connection.HookedOffload = task;
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(connection.Wake);
    }

    private void CompleteOffloads(PluginGeneration generation, long now)
    {
        // Only the wakes queued before this pass: one a connection queues for itself now (a session retrying on the
        // current plugin generation) waits for the next pass and its fresh lease, instead of spinning on this one.
        for (var queued = _completions.Count; queued > 0 && _completions.TryDequeue(out var connection); queued--)
        {
            if (!connection.Closed)
            {
                connection.Machine.OnWake(generation, now);
                Flush(connection, generation, now);
                Update(connection);
            }
        }
    }

    /// <summary>The reactor waits for a slot on behalf of all its waiting connections: registered once, signalled once.</summary>
    private void WaitForSlot()
    {
        if (!_waitingForSlot)
        {
            _waitingForSlot = true;
            _context.OffloadGate.WaitForSlot(this);
        }
    }

    /// <summary>Called by the offload gate, on any thread, under its lock: only note it and wake the loop.</summary>
    bool IOffloadSlotWaiter.OnSlotMayBeFree()
    {
        if (_loopEnded)
        {
            return false;
        }

        Volatile.Write(ref _slotSignalled, 1);
        Wake();
        return true;
    }

    /// <summary>A slot may have freed: every waiting connection of this reactor tries again.</summary>
    private void RetrySlotWaiters(PluginGeneration generation, long now)
    {
        Volatile.Write(ref _slotSignalled, 0);
        _waitingForSlot = false;
        for (var i = _slotWaiters.Count - 1; i >= 0; i--)
        {
            var connection = _slotWaiters[i];
            if (!connection.Closed)
            {
                connection.Machine.RetryOffloadSlot(generation, now);
                Flush(connection, generation, now);
                Update(connection);
            }

            if (connection.Closed || (connection.Machine.Step & ConnectionStep.AwaitSlot) == 0)
            {
                _slotWaiters.RemoveAt(i);
            }
        }

        if (_slotWaiters.Count > 0)
        {
            WaitForSlot();
        }
        else
        {
            // Signalled, perhaps for a slot no connection here took (they closed): the next waiter may have it.
            _context.OffloadGate.WakeWaiters();
        }
    }
}
