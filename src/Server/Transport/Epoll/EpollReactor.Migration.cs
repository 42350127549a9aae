using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// Moving connections between reactors when the active set changes. A connection moves only between requests: nothing
/// buffered, no answer pending, no offloaded call, reading only. Its owner deregisters it from its own epoll instance
/// and the new owner registers it with its own, on its own thread; level-triggered epoll then reports any bytes that
/// arrived meanwhile, so nothing is lost and answers stay in order.
/// </summary>
internal sealed unsafe partial class EpollReactor
{
    // A connection that is never between requests (a peer that stops reading) must not keep the reactor scanning.
    private const long RebalanceGiveUpMs = 2000;
    private const long RebalanceRetryMs = 5;

    private volatile bool _activeSetChanged;
    private long _rebalanceUntil;
    private long _nextRebalanceAt;

    /// <summary>Called from any thread: the active set changed; the reactor rebalances at its next pass.</summary>
    public void ActiveSetChanged()
    {
        _activeSetChanged = true;
        Wake();
    }

    private bool IsActive => _index < _set.Active;

    private void ApplyActiveSet(long now)
    {
        _activeSetChanged = false;
        if (IsActive)
        {
            if (!_listening && _acceptPausedUntil == 0 && !_context.Draining && !_stopAccepting)
            {
                StartListening();
            }
        }
        else
        {
            // An inactive reactor must not even be woken for new connections: its wake-ups are the preemption saved.
            StopListening();
        }

        _rebalanceUntil = now + RebalanceGiveUpMs;
        _nextRebalanceAt = now;
    }

    private void RebalanceIfDue(long now)
    {
        if (now < _nextRebalanceAt)
        {
            return;
        }

        if (MoveExcessConnections())
        {
            _rebalanceUntil = 0;
        }
        else if (now >= _rebalanceUntil)
        {
            _rebalanceUntil = 0;
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug("Reactor {Reactor}: {Count} connection(s) stayed, never between requests while rebalancing", _index, ConnectionCount);
            }
        }
        else
        {
            _nextRebalanceAt = now + RebalanceRetryMs;
        }
    }

    /// <summary>Gives away connections beyond this reactor's share; true when nothing is left to give.</summary>
    private bool MoveExcessConnections()
    {
        var active = _set.Active;
        var share = IsActive ? (_set.TotalConnections() + active - 1) / active : 0;
        for (var fd = 0; fd <= _highestFd && ConnectionCount > share; fd++)
        {
            if (_byFd[fd] is not { } connection || !IsBetweenRequests(connection))
            {
                continue;
            }

            var target = LeastLoadedActive();
            if (target is null || (IsActive && target.ConnectionCount + 1 >= ConnectionCount))
            {
                // Nobody to give to, or giving would only swap who has more.
                return true;
            }

            MoveTo(connection, target);
        }

        return ConnectionCount <= share;
    }

    private static bool IsBetweenRequests(EpollConnection connection) =>
        !connection.Closed && connection.Interest == Libc.EPOLLIN && connection.Machine.Step == ConnectionStep.Read && connection.Machine.IsIdle;

    private EpollReactor? LeastLoadedActive()
    {
        EpollReactor? best = null;
        var active = _set.Active;
        for (var i = 0; i < active && i < _set.Count; i++)
        {
            var reactor = _set.All[i];
            if (!ReferenceEquals(reactor, this) && (best is null || reactor.ConnectionCount < best.ConnectionCount))
            {
                best = reactor;
            }
        }

        return best;
    }

    private void MoveTo(EpollConnection connection, EpollReactor target)
    {
        var fd = connection.Fd;
        var machine = connection.Machine;
        EpollEvents.Control(_epfd, Libc.EPOLL_CTL_DEL, fd, 0, 0);
        _byFd[fd] = null;

        // The old wrapper is dead: nothing queued can refer to it (no offload, no slot wait), but make sure.
        connection.Closed = true;
        target.HandOff(fd, machine);
        Interlocked.Decrement(ref _connectionCount);
        _set.Metrics.ReactorMigration();
    }
}
