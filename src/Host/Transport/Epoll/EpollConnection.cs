using PluggableNet.Host.Connections;

namespace PluggableNet.Host.Transport.Epoll;

/// <summary>A connection as one reactor sees it: its descriptor, its registered interest, its state machine.</summary>
internal sealed class EpollConnection(int fd, ulong token, FrameConnection machine)
{
    public int Fd { get; } = fd;

    /// <summary>epoll's user data: the descriptor plus a sequence number, so a stale event for a reused fd is ignored.</summary>
    public ulong Token { get; } = token;

    public FrameConnection Machine { get; } = machine;

    /// <summary>The events currently registered with epoll.</summary>
    public uint Interest { get; set; }

    /// <summary>The offloaded task a completion callback has been hooked to, so it is hooked once.</summary>
    public Task? HookedOffload { get; set; }

    /// <summary>Queued on the reactor's completion queue and not yet handled.</summary>
    public bool Closed { get; set; }
}
