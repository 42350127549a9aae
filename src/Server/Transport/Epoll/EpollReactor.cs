using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Interop;
using PluggableNet.Server.Plugins;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// One event loop: its own epoll instance, its own connections, one thread. Every active reactor watches the shared
/// listening socket with EPOLLEXCLUSIVE; whichever the kernel wakes accepts and hands the descriptor to the
/// least-loaded active reactor (requests never cross threads; a connection moves only between requests, when the
/// active set changes). Level-triggered: a connection that stops wanting to read or write is simply unregistered for it.
/// </summary>
/// <remarks>
/// This file: the loop, the timeout scan, what the scaler reads. Commands and wake-ups from other threads are in
/// <c>EpollReactor.Commands.cs</c>, accepting and the one hand-off path in <c>EpollReactor.Accept.cs</c>, receiving,
/// sending and closing in <c>EpollReactor.Io.cs</c>, offload completions and slot waits in <c>EpollReactor.Offload.cs</c>,
/// moving connections to another reactor in <c>EpollReactor.Migration.cs</c>.
/// </remarks>
internal sealed unsafe partial class EpollReactor : IDisposable, IOffloadSlotWaiter
{
    private const ulong ListenerToken = ulong.MaxValue;
    private const ulong WakeToken = ulong.MaxValue - 1;
    private const int MaxEvents = 256;

    private readonly int _index;
    private readonly int _listenFd;
    private readonly ConnectionLifecycle _lifecycle;
    private readonly ConnectionContext _context;
    private readonly ILogger _logger;
    private readonly int _epfd;
    private readonly int _wakeFd;
    private readonly EpollEvents _events = new(MaxEvents);
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly Thread _thread;

    // Held to write a wake-up and to close the eventfd (the loop reads it without: it has ended before Dispose). A
    // wake-up can come from any thread at any time, an abandoned offloaded call ending after the server stopped included.
    private readonly Lock _wakeFdLock = new();
    private bool _wakeFdClosed;

    private EpollConnection?[] _byFd = new EpollConnection?[1024];
    private int _highestFd;
    private int _connectionCount;
    private int _wakePending;
    private long _nextScanAt;
    private volatile bool _stopRequested;
    private volatile bool _loopEnded;
    private bool _stopAccepting;
    private long _waitTicks;
    private int _threadId;

    public EpollReactor(int index, int listenFd, ConnectionLifecycle lifecycle, ReactorSet set, TcpKeepAlive keepAlive = default)
    {
        _set = set;
        _keepAlive = keepAlive;
        _index = index;
        _listenFd = listenFd;
        _lifecycle = lifecycle;
        _context = lifecycle.Context;
        _logger = _context.Logger;

        _epfd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (_epfd < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed: {Libc.Describe(Libc.LastError)}");
        }

        _wakeFd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (_wakeFd < 0 || EpollEvents.Control(_epfd, Libc.EPOLL_CTL_ADD, _wakeFd, Libc.EPOLLIN, WakeToken) != 0)
        {
            throw new InvalidOperationException($"eventfd failed: {Libc.Describe(Libc.LastError)}");
        }

        // The listener is watched once the loop applies the active set (ApplyActiveSet), only by active reactors.
        _thread = new Thread(Run) { IsBackground = true, Name = $"epoll-reactor-{index}" };
    }

    /// <summary>Connections currently owned by this reactor (hand-offs on their way included).</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>
    /// Idle time: Stopwatch ticks the loop has spent inside <c>epoll_wait</c> since it started, read by the scaler (which
    /// takes busy time as the wall time between two readings less the idle time between them).
    /// </summary>
    public long WaitTicks => Volatile.Read(ref _waitTicks);

    /// <summary>The kernel id of the reactor thread once it runs, 0 before.</summary>
    public int ThreadId => Volatile.Read(ref _threadId);

    public void Start() => _thread.Start();

    public void Join() => _thread.Join();

    public void Dispose()
    {
        lock (_wakeFdLock)
        {
            if (_wakeFdClosed)
            {
                return;
            }

            _wakeFdClosed = true;
            Libc.close(_wakeFd);
        }

        Libc.close(_epfd);
        _events.Dispose();
    }

    private void Run()
    {
        Volatile.Write(ref _threadId, Libc.gettid());
        Plugins.Isolation.IsolatedSends.BindReactor(this);
        try
        {
            Loop();
        }
        finally
        {
            _loopEnded = true;
            RunCommandsAfterLoop();
        }
    }

    private void Loop()
    {
        while (!_stopRequested)
        {
            var waitStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            var count = _awaitingWorker ? PollForWorkerAnswers() : 0;
            if (count == 0)
            {
                count = Libc.epoll_wait(_epfd, _events.Pointer, MaxEvents, WaitTimeout());
            }

            Volatile.Write(ref _waitTicks, _waitTicks + (System.Diagnostics.Stopwatch.GetTimestamp() - waitStarted));
            if (count < 0)
            {
                var errno = Libc.LastError;
                if (SocketErrors.IsRetry(errno))
                {
                    continue;
                }

                _logger.LogCritical("Reactor {Reactor}: epoll_wait failed: {Error}; the reactor stops", _index, Libc.Describe(errno));
                break;
            }

            var now = Environment.TickCount64;

            // One pin per wake-up: every request in this pass runs entirely on one plugin version.
            using var lease = _context.Plugins.Acquire();
            var generation = lease.Generation;

            // Requests to isolated plugins from every connection of this wake-up go to their worker in one write;
            // other reactors this pass queues pushes for are woken once, after it (EpollReactor.PeerWakes.cs).
            Plugins.Isolation.IsolatedSends.BeginWakeUp();
            BeginPass();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    Dispatch(_events.Data(i), _events.Events(i), generation, now);
                }

                // Before this reactor sends to its own members below: the others send theirs at the same time.
                WakePeers();
                if (Volatile.Read(ref _wakePending) != 0)
                {
                    DrainWakeQueue(generation, now);
                }

                if (Volatile.Read(ref _slotSignalled) != 0)
                {
                    RetrySlotWaiters(generation, now);
                }

                // Pushes this pass's plugin calls gave the members they serve, framed and sent once each.
                SendHeldPushes(generation, now);
            }
            finally
            {
                EndPass();
            }

            _awaitingWorker = Plugins.Isolation.IsolatedSends.EndWakeUp();

            if (_activeSetChanged)
            {
                ApplyActiveSet(now);
            }

            if (_rebalanceUntil != 0)
            {
                RebalanceIfDue(now);
            }

            if (_acceptPausedUntil != 0)
            {
                ResumeAcceptingIfDue(now);
            }

            if (now >= _nextScanAt)
            {
                Scan(generation, now);
                _nextScanAt = now + _lifecycle.ScanIntervalMs;
            }
        }
    }

    private int WaitTimeout()
    {
        if (_rebalanceUntil != 0)
        {
            return (int)RebalanceRetryMs;
        }

        var now = Environment.TickCount64;
        var until = _acceptPausedUntil != 0 ? Math.Min(_nextScanAt, _acceptPausedUntil) : _nextScanAt;
        return (int)Math.Clamp(until - now, 0, _lifecycle.ScanIntervalMs);
    }

    /// <summary>Timeouts and drain, checked every scan interval rather than with a timer per connection.</summary>
    private void Scan(PluginGeneration generation, long now)
    {
        _lifecycle.OnScan(now);
        ResumeAcceptingIfDue(now);
        for (var fd = 0; fd <= _highestFd; fd++)
        {
            if (_byFd[fd] is not { } connection)
            {
                continue;
            }

            if (connection.LingerUntil != 0)
            {
                if (now >= connection.LingerUntil)
                {
                    Release(connection);
                }

                continue;
            }

            if (_lifecycle.DueClose(connection, now) is var reason and not CloseReason.None)
            {
                if (reason == CloseReason.TimerDue)
                {
                    connection.Machine.OnWake(generation, now);
                }
                else
                {
                    connection.Machine.CloseFor(reason);
                }

                Update(connection);
            }
        }
    }
}
