using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>Accepting, the hand-off to the least-loaded reactor, and registering a connection with epoll.</summary>
internal sealed unsafe partial class EpollReactor
{
    private const int AcceptsPerWake = 16;
    private const long AcceptPauseMs = 100;

    private readonly ReactorSet _set;
    private readonly TcpKeepAlive _keepAlive;
    private readonly ConcurrentQueue<(int Fd, FrameConnection Machine)> _handoffs = new();
    private uint _sequence;
    private bool _listening;
    private long _acceptPausedUntil;

    private void Accept(long now)
    {
        var address = stackalloc byte[SocketAddressCodec.MaxLength];
        for (var i = 0; i < AcceptsPerWake && _listening; i++)
        {
            if (!_lifecycle.MayAccept(now))
            {
                // Too few descriptors left under the open-files limit: new connections wait in the backlog.
                PauseAccepting(now);
                return;
            }

            var length = (uint)SocketAddressCodec.MaxLength;
            var fd = Libc.accept4(_listenFd, address, &length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            if (fd < 0)
            {
                var errno = Libc.LastError;
                if (SocketErrors.IsTransientAccept(errno))
                {
                    continue;
                }

                if (SocketErrors.IsOutOfResources(errno))
                {
                    _logger.LogError("Reactor {Reactor}: accept failed: {Error}; accepting paused for {Pause} ms", _index, Libc.Describe(errno), AcceptPauseMs);
                    PauseAccepting(now);
                }

                return;
            }

            if (_lifecycle.Admit(SocketAddressCodec.Read(new ReadOnlySpan<byte>(address, (int)length)), now) is not { } machine)
            {
                Libc.close(fd);
                continue;
            }

            var one = 1;
            Libc.setsockopt(fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, &one, sizeof(int));
            _keepAlive.ApplyTo(fd);
            var target = LeastLoaded();
            if (ReferenceEquals(target, this))
            {
                Interlocked.Increment(ref _connectionCount);
                Register(fd, machine);
            }
            else
            {
                target.HandOff(fd, machine);
            }
        }
    }

    /// <summary>
    /// Whichever reactor the kernel woke accepts, but the connection goes to the active reactor with the fewest:
    /// EPOLLEXCLUSIVE alone lets one idle reactor collect every new connection, and an inactive reactor may still
    /// be woken once just after the active set shrank.
    /// </summary>
    private EpollReactor LeastLoaded()
    {
        var best = this;
        var fewest = IsActive ? ConnectionCount : int.MaxValue;
        var active = _set.Active;
        for (var i = 0; i < active && i < _set.Count; i++)
        {
            var reactor = _set.All[i];
            var count = reactor.ConnectionCount;
            if (count < fewest)
            {
                best = reactor;
                fewest = count;
            }
        }

        return best;
    }

    /// <summary>
    /// The one way a connection reaches this reactor from another thread, whether another reactor accepted it or gave
    /// it away (<see cref="MoveTo"/>): counted here at once, registered on this reactor's thread by
    /// <see cref="TakeHandoffs"/>, or closed there if this reactor has stopped.
    /// </summary>
    public void HandOff(int fd, FrameConnection machine)
    {
        Interlocked.Increment(ref _connectionCount);
        _handoffs.Enqueue((fd, machine));
        if (_loopEnded)
        {
            // The loop is gone (it stopped, or epoll failed): nothing else touches the reactor's state any more.
            RunCommandsAfterLoop();
            return;
        }

        Wake();
    }

    /// <summary>Registers the connections handed off to this reactor; runs on its thread (or after its loop ended, closing them).</summary>
    private void TakeHandoffs()
    {
        while (_handoffs.TryDequeue(out var handoff))
        {
            if (_stopRequested || _loopEnded)
            {
                handoff.Machine.Abort(CloseReason.Shutdown);
                Libc.close(handoff.Fd);
                Interlocked.Decrement(ref _connectionCount);
                _lifecycle.Closed(handoff.Machine);
                continue;
            }

            Register(handoff.Fd, handoff.Machine);
        }
    }

    private void Register(int fd, FrameConnection machine)
    {
        if (fd >= _byFd.Length)
        {
            Array.Resize(ref _byFd, Math.Max(fd + 1, _byFd.Length * 2));
        }

        var token = (ulong)(uint)fd | ((ulong)++_sequence << 32);
        var connection = new EpollConnection(fd, token, machine, this) { Interest = Libc.EPOLLIN };
        machine.Waker = connection;
        machine.GathersOutput = true;
        if (EpollEvents.Control(_epfd, Libc.EPOLL_CTL_ADD, fd, Libc.EPOLLIN, token) != 0)
        {
            machine.FailInternally($"reactor {_index}: epoll_ctl(ADD): {Libc.Describe(Libc.LastError)}");
            Libc.close(fd);
            Interlocked.Decrement(ref _connectionCount);
            _lifecycle.Closed(machine);
            return;
        }

        _byFd[fd] = connection;
        _highestFd = Math.Max(_highestFd, fd);
        if (machine.Wakeable)
        {
            // Moved here from another reactor: a wake (a push, a completion) sent to the old wrapper while the
            // connection was between reactors was dropped there, and a session wakes only once per batch.
            QueueWake(connection);
        }
    }

    /// <summary>Stops watching the listener for <see cref="AcceptPauseMs"/> (until the next scan at the latest past it).</summary>
    private void PauseAccepting(long now)
    {
        StopListening();
        _acceptPausedUntil = now + AcceptPauseMs;
    }

    private void ResumeAcceptingIfDue(long now)
    {
        if (!_listening && _acceptPausedUntil != 0 && now >= _acceptPausedUntil && !_context.Draining)
        {
            _acceptPausedUntil = 0;
            if (IsActive && !_stopAccepting)
            {
                StartListening();
            }
        }
    }

    private void StartListening()
    {
        if (EpollEvents.Control(_epfd, Libc.EPOLL_CTL_ADD, _listenFd, Libc.EPOLLIN | Libc.EPOLLEXCLUSIVE, ListenerToken) == 0)
        {
            _listening = true;
        }
        else
        {
            _logger.LogError("Reactor {Reactor}: cannot watch the listener: {Error}", _index, Libc.Describe(Libc.LastError));
        }
    }

    private void StopListening()
    {
        _acceptPausedUntil = 0;
        if (_listening)
        {
            _listening = false;
            EpollEvents.Control(_epfd, Libc.EPOLL_CTL_DEL, _listenFd, 0, 0);
        }
    }
}
