using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PluggableNet.Host.Connections;
using PluggableNet.Host.Interop;
using PluggableNet.Host.Logging;
using PluggableNet.Host.Plugins;

namespace PluggableNet.Host.Transport.Epoll;

/// <summary>
/// One event loop: its own epoll instance, its own connections, one thread. Every reactor watches the shared
/// listening socket with EPOLLEXCLUSIVE and accepts for itself, so there is no hand-off between threads.
/// Level-triggered: a connection that stops wanting to read or write is simply unregistered for it.
/// </summary>
internal sealed unsafe class EpollReactor : IDisposable
{
    private const ulong ListenerToken = ulong.MaxValue;
    private const ulong WakeToken = ulong.MaxValue - 1;
    private const int MaxEvents = 256;
    private const int AcceptsPerWake = 16;
    private const int ReadsPerWake = 4;

    private readonly int _index;
    private readonly int _listenFd;
    private readonly ConnectionContext _context;
    private readonly TransportOptions _options;
    private readonly RejectionLog _rejections;
    private readonly ILogger _logger;
    private readonly int _epfd;
    private readonly int _wakeFd;
    private readonly EpollEvents _events = new(MaxEvents);
    private readonly ConcurrentQueue<EpollConnection> _completions = new();
    private readonly ConcurrentQueue<(int Fd, FrameConnection Machine)> _handoffs = new();
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly List<EpollConnection> _slotWaiters = [];
    private readonly Thread _thread;
    private readonly long _scanIntervalMs;

    private readonly IReadOnlyList<EpollReactor> _all;
    private EpollConnection?[] _byFd = new EpollConnection?[1024];
    private int _highestFd;
    private uint _sequence;
    private int _connectionCount;
    private int _wakePending;
    private bool _listening;
    private long _acceptPausedUntil;
    private long _nextScanAt;
    private volatile bool _stopRequested;
    private volatile bool _loopEnded;

    public EpollReactor(int index, int listenFd, ConnectionContext context, TransportOptions options, RejectionLog rejections, IReadOnlyList<EpollReactor> all)
    {
        _all = all;
        _index = index;
        _listenFd = listenFd;
        _context = context;
        _options = options;
        _rejections = rejections;
        _logger = context.Logger;
        _scanIntervalMs = context.Limits.ScanIntervalMs;

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

        StartListening();
        _thread = new Thread(Run) { IsBackground = true, Name = $"epoll-reactor-{index}" };
    }

    /// <summary>Connections currently owned by this reactor.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    public void Start() => _thread.Start();

    /// <summary>Runs <paramref name="command"/> on the reactor thread.</summary>
    public void Post(Action command)
    {
        _commands.Enqueue(command);
        if (_loopEnded)
        {
            // The loop is gone (it stopped, or epoll failed): nothing else touches the reactor's state any more.
            RunCommandsAfterLoop();
            return;
        }

        Wake();
    }

    private void RunCommandsAfterLoop()
    {
        lock (_commands)
        {
            while (_commands.TryDequeue(out var command))
            {
                command();
            }
        }
    }

    /// <summary>Takes over a connection another reactor accepted; registered on this reactor's thread.</summary>
    private void Adopt(int fd, FrameConnection machine)
    {
        _handoffs.Enqueue((fd, machine));
        Wake();
    }

    public void StopAccepting(TaskCompletionSource done) => Post(() =>
    {
        StopListening();
        done.TrySetResult();
    });

    /// <summary>Ends the loop after closing every remaining connection; returns how many were cut.</summary>
    public Task<int> StopAsync()
    {
        var cut = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            RegisterHandoffs();
            var count = 0;
            for (var fd = 0; fd <= _highestFd; fd++)
            {
                if (_byFd[fd] is { } connection)
                {
                    connection.Machine.Abort(CloseReason.Shutdown);
                    Close(connection);
                    count++;
                }
            }

            _stopRequested = true;
            cut.TrySetResult(count);
        });
        return cut.Task;
    }

    public void Join() => _thread.Join();

    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            ulong one = 1;
            Libc.write(_wakeFd, &one, sizeof(ulong));
        }
    }

    private void Run()
    {
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
            var count = Libc.epoll_wait(_epfd, _events.Pointer, MaxEvents, WaitTimeout());
            if (count < 0)
            {
                var errno = Libc.LastError;
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                _logger.LogCritical("Reactor {Reactor}: epoll_wait failed: {Error}; the reactor stops", _index, Libc.Describe(errno));
                break;
            }

            var now = Environment.TickCount64;

            // One generation pin per wake-up: every request in this pass runs entirely on one plugin version.
            var generation = _context.Plugins.Acquire();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    Dispatch(_events.Data(i), _events.Events(i), generation, now);
                }

                if (Volatile.Read(ref _wakePending) != 0)
                {
                    DrainWakeQueue(generation, now);
                }

                if (_slotWaiters.Count > 0)
                {
                    RetrySlotWaiters(generation, now);
                }

                if (now >= _nextScanAt)
                {
                    Scan(now);
                    _nextScanAt = now + (_context.Draining ? 10 : _scanIntervalMs);
                }
            }
            finally
            {
                PluginSwitch.Release(generation);
            }
        }
    }

    private int WaitTimeout()
    {
        if (_slotWaiters.Count > 0)
        {
            return 5;
        }

        var untilScan = _nextScanAt - Environment.TickCount64;
        return (int)Math.Clamp(untilScan, 0, _context.Draining ? 10 : _scanIntervalMs);
    }

    private void Dispatch(ulong token, uint events, PluginGeneration generation, long now)
    {
        if (token == ListenerToken)
        {
            Accept(now);
            return;
        }

        if (token == WakeToken)
        {
            return;
        }

        var fd = (int)(token & 0xFFFF_FFFF);
        if ((uint)fd >= (uint)_byFd.Length || _byFd[fd] is not { } connection || connection.Token != token)
        {
            return;
        }

        try
        {
            var machine = connection.Machine;
            if ((events & (Libc.EPOLLERR | Libc.EPOLLHUP)) != 0 && !machine.WantsRead)
            {
                // Nothing more can be read and the peer is gone: nobody is left to answer.
                machine.Abort(CloseReason.RemoteReset);
            }
            else
            {
                if ((events & (Libc.EPOLLIN | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
                {
                    Receive(connection, generation, now);
                }

                Flush(connection, generation, now);
            }

            Update(connection);
        }
        catch (Exception exception)
        {
            // A bug must cost one connection, never the reactor.
            _logger.LogError(exception, "Reactor {Reactor}: unexpected error on connection {ConnectionId}; connection closed", _index, connection.Machine.Id);
            connection.Machine.Abort(CloseReason.RemoteReset);
            Close(connection);
        }
    }

    private void Receive(EpollConnection connection, PluginGeneration generation, long now)
    {
        var machine = connection.Machine;
        for (var reads = 0; reads < ReadsPerWake && machine.WantsRead; reads++)
        {
            var buffer = machine.GetReceiveSpan();
            nint received;
            fixed (byte* pointer = buffer)
            {
                received = Libc.recv(connection.Fd, pointer, (nuint)buffer.Length, 0);
            }

            if (received > 0)
            {
                machine.OnReceived((int)received, generation, now);
                if (received < buffer.Length)
                {
                    // The socket is drained; level-triggered epoll reports any later data.
                    return;
                }

                continue;
            }

            if (received == 0)
            {
                machine.OnEndOfInput(generation, now);
                return;
            }

            var errno = Libc.LastError;
            if (errno == Libc.EINTR)
            {
                continue;
            }

            machine.OnNoData();
            if (errno != Libc.EAGAIN)
            {
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    ConnectionLog.SocketError(_logger, machine.Id, machine.Peer, Libc.Describe(errno));
                }

                machine.Abort(CloseReason.RemoteReset);
            }

            return;
        }
    }

    /// <summary>
    /// Sends what is pending right away (EPOLLOUT is armed only if the kernel takes less), and answers frames
    /// that backpressure had left waiting once room frees up.
    /// </summary>
    private void Flush(EpollConnection connection, PluginGeneration generation, long now)
    {
        var machine = connection.Machine;
        for (var rounds = 0; rounds < 8; rounds++)
        {
            while (machine.HasPendingOutput)
            {
                var pending = machine.PendingOutput;
                nint sent;
                fixed (byte* pointer = pending)
                {
                    sent = Libc.send(connection.Fd, pointer, (nuint)pending.Length, Libc.MSG_NOSIGNAL);
                }

                if (sent > 0)
                {
                    machine.OnSent((int)sent);
                    continue;
                }

                var errno = Libc.LastError;
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                if (errno != Libc.EAGAIN)
                {
                    if (_logger.IsEnabled(LogLevel.Debug))
                    {
                        ConnectionLog.SocketError(_logger, machine.Id, machine.Peer, Libc.Describe(errno));
                    }

                    machine.Abort(CloseReason.RemoteReset);
                }

                return;
            }

            if (!machine.HasBufferedInput || machine.CloseReason != CloseReason.None || machine.OffloadTask is not null)
            {
                return;
            }

            machine.Pump(generation, now);
        }
    }

    /// <summary>Closes the connection, or registers exactly the events it now wants.</summary>
    private void Update(EpollConnection connection)
    {
        var machine = connection.Machine;
        if (machine.ShouldClose)
        {
            Close(connection);
            return;
        }

        if (machine.OffloadTask is { } task && !ReferenceEquals(connection.HookedOffload, task))
        {
            HookOffloadCompletion(connection, task);
        }

        if (machine.WaitingForOffloadSlot && !_slotWaiters.Contains(connection))
        {
            _slotWaiters.Add(connection);
        }

        var interest = (machine.WantsRead ? Libc.EPOLLIN : 0) | (machine.HasPendingOutput ? Libc.EPOLLOUT : 0);
        if (interest != connection.Interest)
        {
            connection.Interest = interest;
            EpollEvents.Control(_epfd, Libc.EPOLL_CTL_MOD, connection.Fd, interest, connection.Token);
        }
    }

    // Its own method: a lambda capturing `connection` in Update would make the compiler allocate the closure on
    // every call of Update, offloaded or not.
    private void HookOffloadCompletion(EpollConnection connection, Task task)
    {
        connection.HookedOffload = task;
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() =>
        {
            _completions.Enqueue(connection);
            Wake();
        });
    }

    private void DrainWakeQueue(PluginGeneration generation, long now)
    {
        Volatile.Write(ref _wakePending, 0);
        ulong value;
        Libc.read(_wakeFd, &value, sizeof(ulong));

        RegisterHandoffs();
        while (_commands.TryDequeue(out var command))
        {
            command();
        }

        while (_completions.TryDequeue(out var connection))
        {
            if (connection.Closed)
            {
                continue;
            }

            connection.Machine.CompleteOffload(generation, now);
            Flush(connection, generation, now);
            Update(connection);
        }
    }

    private void RetrySlotWaiters(PluginGeneration generation, long now)
    {
        for (var i = _slotWaiters.Count - 1; i >= 0; i--)
        {
            var connection = _slotWaiters[i];
            if (!connection.Closed && connection.Machine.WaitingForOffloadSlot)
            {
                connection.Machine.Pump(generation, now);
                Flush(connection, generation, now);
            }

            if (connection.Closed || !connection.Machine.WaitingForOffloadSlot)
            {
                _slotWaiters.RemoveAt(i);
            }

            if (!connection.Closed)
            {
                Update(connection);
            }
        }
    }

    /// <summary>Timeouts and drain, checked every scan interval rather than with a timer per connection.</summary>
    private void Scan(long now)
    {
        _rejections.Flush(now);
        if (!_listening && _acceptPausedUntil != 0 && now >= _acceptPausedUntil && !_context.Draining)
        {
            _acceptPausedUntil = 0;
            StartListening();
        }

        for (var fd = 0; fd <= _highestFd; fd++)
        {
            if (_byFd[fd] is not { } connection)
            {
                continue;
            }

            var reason = connection.Machine.DueClose(now);
            if (reason == CloseReason.Shutdown && HasUnreadBytes(connection.Fd))
            {
                // Requests already in the socket are received requests: read and answer them before closing.
                continue;
            }

            if (reason != CloseReason.None)
            {
                connection.Machine.CloseFor(reason, now);
                Update(connection);
            }
        }
    }

    private void Accept(long now)
    {
        var address = stackalloc byte[SocketAddressCodec.MaxLength];
        for (var i = 0; i < AcceptsPerWake && _listening; i++)
        {
            var length = (uint)SocketAddressCodec.MaxLength;
            var fd = Libc.accept4(_listenFd, address, &length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            if (fd < 0)
            {
                var errno = Libc.LastError;
                if (errno is Libc.EINTR or Libc.ECONNABORTED)
                {
                    continue;
                }

                if (errno is Libc.EMFILE or Libc.ENFILE or Libc.ENOBUFS or Libc.ENOMEM)
                {
                    // Out of descriptors: a level-triggered listener would spin, so stop accepting for a moment.
                    _logger.LogError("Reactor {Reactor}: accept failed: {Error}; accepting paused for 100 ms", _index, Libc.Describe(errno));
                    StopListening();
                    _acceptPausedUntil = now + 100;
                }

                return;
            }

            if (_context.Metrics.ConnectionOpened() > _options.MaxConnections)
            {
                _context.Metrics.ConnectionClosed();
                _context.Metrics.ConnectionRejected();
                Libc.close(fd);
                _rejections.Rejected(now);
                continue;
            }

            var one = 1;
            Libc.setsockopt(fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, &one, sizeof(int));
            var peer = SocketAddressCodec.Read(new ReadOnlySpan<byte>(address, (int)length));
            var machine = new FrameConnection(_context, peer, now);
            var target = LeastLoaded();
            Interlocked.Increment(ref target._connectionCount);
            if (ReferenceEquals(target, this))
            {
                Register(fd, machine);
            }
            else
            {
                target.Adopt(fd, machine);
            }
        }
    }

    /// <summary>
    /// Whichever reactor the kernel woke accepts, but the connection goes to the reactor with the fewest:
    /// EPOLLEXCLUSIVE alone lets one idle reactor collect every new connection.
    /// </summary>
    private EpollReactor LeastLoaded()
    {
        var best = this;
        var fewest = ConnectionCount;
        foreach (var reactor in _all)
        {
            var count = reactor.ConnectionCount;
            if (count < fewest)
            {
                best = reactor;
                fewest = count;
            }
        }

        return best;
    }

    private void RegisterHandoffs()
    {
        while (_handoffs.TryDequeue(out var handoff))
        {
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
        var connection = new EpollConnection(fd, token, machine) { Interest = Libc.EPOLLIN };
        if (EpollEvents.Control(_epfd, Libc.EPOLL_CTL_ADD, fd, Libc.EPOLLIN, token) != 0)
        {
            _logger.LogError("Reactor {Reactor}: epoll_ctl(ADD) failed: {Error}", _index, Libc.Describe(Libc.LastError));
            Libc.close(fd);
            _context.Metrics.ConnectionClosed();
            Interlocked.Decrement(ref _connectionCount);
            return;
        }

        _byFd[fd] = connection;
        _highestFd = Math.Max(_highestFd, fd);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.Accepted(_logger, machine.Id, machine.Peer);
        }
    }

    private void Close(EpollConnection connection)
    {
        if (connection.Closed)
        {
            return;
        }

        var machine = connection.Machine;
        connection.Closed = true;
        _byFd[connection.Fd] = null;

        if (machine.CloseAfterFlush && machine.CloseReason != CloseReason.RemoteReset)
        {
            // Graceful: send FIN first and drop what the peer still sent, so close() does not turn into an RST
            // that could destroy answers still in flight.
            Libc.shutdown(connection.Fd, Libc.SHUT_WR);
            var scratch = stackalloc byte[512];
            for (var i = 0; i < 16 && Libc.recv(connection.Fd, scratch, 512, 0) > 0; i++)
            {
            }
        }

        Libc.close(connection.Fd);
        machine.Release();
        Interlocked.Decrement(ref _connectionCount);
        _context.Metrics.ConnectionClosed();
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.Closed(_logger, machine.Id, machine.Peer, machine.CloseReason.ToString(), machine.State.ToString(), machine.Requests);
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
        if (_listening)
        {
            _listening = false;
            EpollEvents.Control(_epfd, Libc.EPOLL_CTL_DEL, _listenFd, 0, 0);
        }
    }

    private static bool HasUnreadBytes(int fd)
    {
        byte peek;
        return Libc.recv(fd, &peek, 1, Libc.MSG_PEEK) > 0;
    }

    public void Dispose()
    {
        Libc.close(_wakeFd);
        Libc.close(_epfd);
        _events.Dispose();
    }
}
