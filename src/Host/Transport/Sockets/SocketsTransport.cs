using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PluggableNet.Host.Connections;

namespace PluggableNet.Host.Transport.Sockets;

/// <summary>
/// The portable transport on System.Net.Sockets: an accept loop and one async loop per connection, driving
/// the same <see cref="FrameConnection"/> state machine as the epoll reactor. Timeouts and drain are checked
/// by one timer for all connections.
/// </summary>
internal sealed class SocketsTransport(TransportOptions options, ConnectionContext context) : ITransport
{
    private readonly ConcurrentDictionary<long, SocketConnection> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private Timer? _scanTimer;
    private RejectionLog? _rejections;

    public IPEndPoint LocalEndPoint { get; private set; } = options.EndPoint;

    public void Start()
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

        _listener = listener;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _rejections = new RejectionLog(context.Logger, options.MaxConnections);
        var interval = (int)context.Limits.ScanIntervalMs;
        _scanTimer = new Timer(_ => Scan(), null, interval, interval);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
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

                context.Logger.LogError("Accept failed: {Error}", exception.Message);
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }

            var now = Environment.TickCount64;
            if (context.Metrics.ConnectionOpened() > options.MaxConnections)
            {
                context.Metrics.ConnectionClosed();
                context.Metrics.ConnectionRejected();
                socket.Dispose();
                _rejections!.Rejected(now);
                continue;
            }

            FrameConnection machine;
            try
            {
                socket.NoDelay = true;
                machine = new FrameConnection(context, socket.RemoteEndPoint, now);
            }
            catch (SocketException exception)
            {
                // Reset while it waited in the backlog: nothing to serve, and no reason to stop accepting.
                context.Logger.LogDebug("Accepted connection already gone: {Error}", exception.Message);
                socket.Dispose();
                context.Metrics.ConnectionClosed();
                continue;
            }

            var connection = new SocketConnection(socket, machine, context);
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
        _rejections?.Flush(now);
        foreach (var connection in _connections.Values)
        {
            var reason = connection.Machine.DueClose(now);
            if (reason == CloseReason.Shutdown && (!connection.IdleInReceive || connection.HasUnreadBytes))
            {
                // Only a connection parked in an empty receive can be closed from here without losing a request.
                continue;
            }

            if (reason != CloseReason.None)
            {
                if (reason != CloseReason.Shutdown)
                {
                    connection.Machine.ReportExpired(reason, now);
                }

                connection.Abort(reason);
            }
        }
    }

    public async Task<DrainResult> StopAsync(TimeSpan drainTimeout)
    {
        if (_listener is null)
        {
            return default;
        }

        _stopping.Cancel();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);

        var open = _connections.Count;
        context.StartDraining();
        _scanTimer?.Change(10, 10);
        var deadline = Environment.TickCount64 + (long)drainTimeout.TotalMilliseconds;
        while (!_connections.IsEmpty && Environment.TickCount64 < deadline)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        var cut = 0;
        foreach (var connection in _connections.Values)
        {
            connection.Abort(CloseReason.Shutdown);
            cut++;
        }

        var waitUntil = Environment.TickCount64 + 2000;
        while (!_connections.IsEmpty && Environment.TickCount64 < waitUntil)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }

        if (_scanTimer is not null)
        {
            await _scanTimer.DisposeAsync().ConfigureAwait(false);
        }

        _listener = null;
        return new DrainResult(Math.Max(open - cut, 0), cut);
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
        {
            await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        }

        _stopping.Dispose();
    }
}
