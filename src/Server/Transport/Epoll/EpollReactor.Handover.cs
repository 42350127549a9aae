using PluggableNet.Server.Connections;
using PluggableNet.Server.Connections.Handover;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// Connections leaving for another server and arriving from one (issue 23). A connection leaves as it moves between
/// reactors: deregistered from epoll, never closed; its descriptor goes into the snapshot. One arrives as a hand-off
/// does, plus a first turn for whole frames that came with it; level-triggered epoll reports what waits in the kernel.
/// </summary>
internal sealed unsafe partial class EpollReactor
{
    /// <summary>Any thread: a detach batch opened; every connection gets a turn, and those between requests leave at once.</summary>
    public void RequestDetach() => Post(() =>
    {
        TakeHandoffs();
        for (var fd = 0; fd <= _highestFd; fd++)
        {
            if (_byFd[fd] is { Closed: false, LingerUntil: 0 } connection)
            {
                Update(connection);
            }
        }
    });

    /// <summary>Any thread: serves an adopted connection on this reactor from its next pass.</summary>
    public void Adopt(int fd, FrameConnection machine)
    {
        Interlocked.Increment(ref _connectionCount);
        Post(() =>
        {
            if (_stopRequested)
            {
                machine.Abort(CloseReason.Shutdown);
                Libc.close(fd);
                Interlocked.Decrement(ref _connectionCount);
                _lifecycle.Closed(machine);
                return;
            }

            Register(fd, machine);
            if ((uint)fd < (uint)_byFd.Length && _byFd[fd] is { } connection && ReferenceEquals(connection.Machine, machine) && !machine.Wakeable)
            {
                // Register queues a turn for a wakeable connection only; every adopted one needs it (FrameConnection.Adopt.cs).
                QueueWake(connection);
            }
        });
    }

    /// <summary>On the reactor thread, when the connection's step is <see cref="ConnectionStep.Detach"/>. False when it stays after all.</summary>
    private bool TryDetach(EpollConnection connection)
    {
        var machine = connection.Machine;
        if (machine.Detach(Environment.TickCount64, out var request) is not { } snapshot)
        {
            return false;
        }

        var fd = connection.Fd;
        EpollEvents.Control(_epfd, Libc.EPOLL_CTL_DEL, fd, 0, 0);
        _byFd[fd] = null;
        connection.Closed = true;
        _slotWaiters.Remove(connection);
        Interlocked.Decrement(ref _connectionCount);
        snapshot.Socket = new DescriptorHandle(fd);
        _lifecycle.Detached(machine, snapshot, request);
        return true;
    }
}
