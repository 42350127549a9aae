using PluggableNet.Server.Interop;
using PluggableNet.Server.Plugins.Isolation;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// This reactor's channels to isolated plugins' workers (docs/isolation.md, "Batching"): each is in the reactor's epoll
/// set, so a worker's answer wakes this thread directly and the connections it answers run in the same wake-up.
/// </summary>
internal sealed unsafe partial class EpollReactor : IWorkerChannelReactor
{
    // High half all ones: a connection's token has its sequence number there, which never gets that far.
    private const ulong ChannelTokenMark = 0xFFFF_FFFFUL << 32;

    private readonly Dictionary<int, WorkerChannel> _channels = [];

    public int Index => _index;

    public void Watch(WorkerChannel channel)
    {
        ForgetClosedChannels();
        var handle = channel.Socket.SafeHandle;
        var added = false;
        try
        {
            // Pinned so a concurrent retire cannot close the fd (and let it be reused) under epoll_ctl.
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            if (EpollEvents.Control(_epfd, Libc.EPOLL_CTL_ADD, fd, Libc.EPOLLIN, ChannelTokenMark | (uint)fd) == 0)
            {
                _channels[fd] = channel;
            }
        }
        catch (ObjectDisposedException)
        {
            // Retired already: its calls are failed by the worker's death.
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>True if <paramref name="token"/> is a channel's (read here); false for connections.</summary>
    private bool TryDispatchChannel(ulong token)
    {
        if ((token & ChannelTokenMark) != ChannelTokenMark || token == ListenerToken || token == WakeToken)
        {
            return false;
        }

        var fd = (int)(token & 0xFFFF_FFFF);
        if (_channels.TryGetValue(fd, out var channel) && !channel.OnReadable())
        {
            // The worker is gone (its main socket's reader fails what waited) or retired: stop watching.
            Unwatch(fd, channel);
        }

        return true;
    }

    private void Unwatch(int fd, WorkerChannel channel)
    {
        _channels.Remove(fd);
        var handle = channel.Socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            _ = EpollEvents.Control(_epfd, Libc.EPOLL_CTL_DEL, fd, 0, 0);
        }
        catch (ObjectDisposedException)
        {
            // Closed: the kernel removed it from the set already.
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Retired channels closed without an event here (closing removed them from the set): dropped when a new one comes.</summary>
    private void ForgetClosedChannels()
    {
        foreach (var (fd, channel) in _channels.ToArray())
        {
            if (channel.IsClosed)
            {
                Unwatch(fd, channel);
            }
        }
    }
}
