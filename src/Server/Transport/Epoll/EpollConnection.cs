using PluggableNet.Server.Connections;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>A connection as one reactor sees it: its descriptor, its registered interest, its state machine.</summary>
internal sealed unsafe class EpollConnection(int fd, ulong token, FrameConnection machine, EpollReactor reactor) : ITransportConnection, IConnectionWaker, ILocalAddress
{
    public int Fd { get; } = fd;

    /// <summary>epoll's user data: the descriptor plus a sequence number, so a stale event for a reused fd is ignored.</summary>
    public ulong Token { get; } = token;

    public FrameConnection Machine { get; } = machine;

    /// <summary>The events currently registered with epoll.</summary>
    public uint Interest { get; set; }

    /// <summary>The offloaded task a completion callback has been hooked to, so it is hooked once.</summary>
    public Task? HookedOffload { get; set; }

    /// <summary>The connection is done; events or completions still queued for it are ignored (a lingering one still reads).</summary>
    public bool Closed { get; set; }

    /// <summary>While lingering after a graceful close: when to close anyway (<c>Environment.TickCount64</c>); 0 otherwise.</summary>
    public long LingerUntil { get; set; }

    /// <summary>Bytes discarded while lingering, against <see cref="LingeringClose.MaxDiscardBytes"/>.</summary>
    public int Discarded { get; set; }

    /// <summary>A v2 call completed or a timer is due (any thread): the reactor gives the connection a turn.</summary>
    public void Wake() => reactor.QueueWake(this);

    /// <summary>A wrapper left behind by a move to another reactor is closed: its machine is no longer this reactor's.</summary>
    public bool OnOwnPass => !Closed && reactor.IsInPass;

    /// <summary>Queued once per pass on the reactor's list of connections to send (<see cref="HoldsPushes"/>).</summary>
    public void SendAfterPass() => reactor.SendAfterPass(this);

    /// <summary>On the reactor's list of connections holding pushes its pass sends before it waits (reactor thread only).</summary>
    public bool HoldsPushes { get; set; }

    /// <summary>getsockname on the connection's own thread (a session opening): the fd is open while the connection is.</summary>
    public System.Net.EndPoint? LocalEndPoint
    {
        get
        {
            var address = stackalloc byte[SocketAddressCodec.MaxLength];
            var length = (uint)SocketAddressCodec.MaxLength;
            return Libc.getsockname(Fd, address, &length) == 0 ? SocketAddressCodec.Read(new ReadOnlySpan<byte>(address, (int)length)) : null;
        }
    }

    /// <summary>Bytes wait in the kernel's receive queue: requests that arrived and that the state machine has not seen.</summary>
    public bool RequestMayBeInFlight
    {
        get
        {
            byte peek;
            return Libc.recv(Fd, &peek, 1, Libc.MSG_PEEK) > 0;
        }
    }
}
