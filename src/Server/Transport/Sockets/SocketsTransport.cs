using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Transport.Tls;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// The portable transport on System.Net.Sockets: an accept loop and one async loop per connection, driving the same
/// <see cref="FrameConnection"/> state machine as the epoll reactor. One timer runs the lifecycle's scan over all
/// connections. With <paramref name="tls"/> the endpoint speaks TLS: each connection's loop starts with the handshake.
/// </summary>
internal sealed partial class SocketsTransport(TransportOptions options, ConnectionLifecycle lifecycle, TlsHandshake? tls = null) : ITransport
{
    private const int AbortWaitMs = 2000;
    private const int MinAcceptPauseMs = 100;
    private const int MaxAcceptPauseMs = 1000;

    private readonly ConcurrentDictionary<long, SocketConnection> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private bool _shared;
    private Task _acceptLoop = Task.CompletedTask;
    private Timer? _scanTimer;

    public IPEndPoint LocalEndPoint { get; private set; } = options.EndPoint;

    public void Start()
    {
        var listener = options.Inherited is { } inherited ? Adopt(inherited) : Bind();
        _listener = listener;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _scanTimer = new Timer(_ => Scan(), null, lifecycle.ScanIntervalMs, Timeout.Infinite);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Serves on an inherited listening socket, close-on-exec like every socket .NET opens, so no process this host
    /// starts later (the next upgrade's host, an isolation worker) inherits a copy it does not know of: each upgrade
    /// used to leave one more listener in the surviving host. Another process holds the same socket, though, so
    /// <see cref="StopAcceptingAsync"/> clears the flag again just before closing (see <see cref="ReleaseShared"/>).
    /// </summary>
    private Socket Adopt(InheritedListener inherited)
    {
        Interop.Libc.fcntl(inherited.Fd, Interop.Libc.F_SETFD, Interop.Libc.FD_CLOEXEC);
        _shared = true;
        return new(new SafeSocketHandle(inherited.Fd, ownsHandle: true)) { NoDelay = true };
    }

    /// <summary>Our descriptor as it is; from now on closing it must only drop our reference (<see cref="ReleaseShared"/>).</summary>
    public int ShareListener()
    {
        if (_listener is not { } listener)
        {
            return -1;
        }

        _shared = true;
        return (int)listener.SafeHandle.DangerousGetHandle();
    }

    /// <summary>
    /// .NET's close disconnects a close-on-exec TCP socket to unblock a pending accept, which on a listening socket
    /// shared with another process (the supervisor, the next host) would stop it for every process. Without the flag
    /// the close only drops our reference; it is cleared only now, so no child started meanwhile inherits the socket.
    /// </summary>
    private static void ReleaseShared(Socket listener) =>
        Interop.Libc.fcntl((int)listener.SafeHandle.DangerousGetHandle(), Interop.Libc.F_SETFD, 0);

    private Socket Bind()
    {
        var listener = new Socket(options.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (options.EndPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                listener.DualMode = true;
            }

            listener.NoDelay = true;
            listener.Bind(options.EndPoint);
            listener.Listen(options.Backlog);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return listener;
    }

    public async Task StopAcceptingAsync()
    {
        if (_listener is null)
        {
            return;
        }

        _stopping.Cancel();
        if (_shared)
        {
            ReleaseShared(_listener);
        }

        _listener.Dispose();
        _listener = null;
        await _acceptLoop.ConfigureAwait(false);
    }

    public void ScanNow() => _scanTimer?.Change(0, Timeout.Infinite);

    public async Task<int> AbortAllAsync()
    {
        var cut = 0;
        foreach (var connection in _connections.Values)
        {
            cut += connection.IsLingering ? 0 : 1;
            connection.Cut();
        }

        var waitUntil = Environment.TickCount64 + AbortWaitMs;
        while (!_connections.IsEmpty && Environment.TickCount64 < waitUntil)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }

        if (_scanTimer is { } timer)
        {
            _scanTimer = null;
            await timer.DisposeAsync().ConfigureAwait(false);
        }

        return cut;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAcceptingAsync().ConfigureAwait(false);
        await AbortAllAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static bool IsOutOfResources(Exception exception) =>
        exception is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable };

    private async Task AcceptLoopAsync()
    {
        var pause = MinAcceptPauseMs / 2;
        while (!_stopping.IsCancellationRequested)
        {
            if (!lifecycle.MayAccept(Environment.TickCount64))
            {
                // Too few descriptors left under the open-files limit: new connections wait in the backlog.
                try
                {
                    await Task.Delay(MinAcceptPauseMs, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            Socket socket;
            try
            {
                socket = await _listener!.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                // Out of descriptors or buffers: pause accepting (the kernel's backlog holds the rest) and back off
                // while it lasts, as the epoll reactors do, instead of retrying into the same error.
                pause = IsOutOfResources(exception) ? Math.Min(pause * 2, MaxAcceptPauseMs) : MinAcceptPauseMs;
                lifecycle.Context.Logger.LogError("Accept failed: {Error}; accepting paused for {Pause} ms", exception.Message, pause);
                try
                {
                    await Task.Delay(pause, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            pause = MinAcceptPauseMs / 2;

            var now = Environment.TickCount64;
            EndPoint? peer;
            try
            {
                peer = socket.RemoteEndPoint;
            }
            catch (SocketException exception)
            {
                // Reset while it waited in the backlog: nothing to serve, and no reason to stop accepting.
                lifecycle.Context.Logger.LogDebug("Accepted connection already gone: {Error}", exception.Message);
                socket.Dispose();
                continue;
            }

            // The scan runs on the timer thread (Scan): the connection publishes its deadlines for it.
            if (lifecycle.Admit(peer, now, scannedFromAnotherThread: true) is not { } machine)
            {
                socket.Dispose();
                continue;
            }

            try
            {
                socket.NoDelay = true;
                options.KeepAlive.ApplyTo(socket);
            }
            catch (SocketException exception)
            {
                lifecycle.Context.Logger.LogDebug("Accepted connection already gone: {Error}", exception.Message);
                socket.Dispose();
                machine.Abort(CloseReason.RemoteReset);
                lifecycle.Closed(machine);
                continue;
            }

            var connection = new SocketConnection(socket, machine, lifecycle, tls);
            machine.Waker = connection;
            _connections[machine.Id] = connection;

            // Off the accept loop: a first request already waiting would otherwise be answered synchronously
            // here, and a slow plugin would stop every new connection from being accepted.
            ThreadPool.UnsafeQueueUserWorkItem(
                static state => _ = state.Transport.RunConnectionAsync(state.Connection),
                (Transport: this, Connection: connection),
                preferLocal: false);
        }
    }

    private async Task RunConnectionAsync(SocketConnection connection)
    {
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection.Machine.Id, out _);
        }
    }

    private void Scan()
    {
        var now = Environment.TickCount64;
        lifecycle.OnScan(now);

        // The dictionary itself, not .Values: that copies every connection into a new list under all the dictionary's
        // locks, 80 KB a scan with 10,000 connections (the Sockets fan-out's "1–3 B per delivery"); this enumerator
        // takes no lock and allocates one small object.
        foreach (var (_, connection) in _connections)
        {
            if (lifecycle.DueClose(connection, now) is var reason and not CloseReason.None)
            {
                if (reason == CloseReason.TimerDue)
                {
                    // A v2 timer: the connection acts on it on its own loop.
                    connection.Wake();
                }
                else
                {
                    // Off the connection's own loop: closing the socket ends whatever it awaits.
                    connection.Abort(reason);
                }
            }
        }

        try
        {
            _scanTimer?.Change(lifecycle.ScanIntervalMs, Timeout.Infinite);
        }
        catch (ObjectDisposedException)
        {
            // Stopped while this scan ran.
        }
    }
}
