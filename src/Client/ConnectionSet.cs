using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using PluggableNet.Protocol;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Client;

/// <summary>
/// The client's open connections: opens them (marking endpoints up or down), scans them for timeouts, hands each one's
/// end to <c>onEnded</c> (the client's decision), and closes them all on dispose.
/// </summary>
internal sealed class ConnectionSet
{
    private const int ScanIntervalMs = 50;

    private readonly PluggableNetClientOptions _options;
    private readonly LengthHeader _header;
    private readonly int _maxAnswerBytes;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _downTime;
    private readonly TimeSpan _maxDownTime;
    private readonly ILogger _logger;
    private readonly ClientStatistics _statistics;
    private readonly Action<ClientConnection, ConnectionEnded> _onEnded;
    private readonly Action<V2Connection, PendingRequest, ErrorPayload?> _onRefused;

    // Each open connection with the task that waits for its end (null for the moment between the two).
    private readonly Dictionary<ClientConnection, Task?> _open = [];
    private readonly List<ClientConnection> _scanned = [];
    private readonly CancellationTokenSource _disposing = new();
    private readonly Timer _scanTimer;
    private int _scanning;
    private volatile bool _disposed;

    public ConnectionSet(PluggableNetClientOptions options, LengthHeader header, ILogger logger, ClientStatistics statistics, Action<ClientConnection, ConnectionEnded> onEnded, Action<V2Connection, PendingRequest, ErrorPayload?> onRefused)
    {
        _options = options;
        _header = header;
        _maxAnswerBytes = options.MaxAnswerBytes;
        _connectTimeout = options.ConnectTimeout;
        _downTime = options.EndpointDownTime;
        _maxDownTime = options.MaxEndpointDownTime;
        _logger = logger;
        _statistics = statistics;
        _onEnded = onEnded;
        _onRefused = onRefused;
        _scanTimer = new Timer(static state => ((ConnectionSet)state!).Scan(), this, ScanIntervalMs, ScanIntervalMs);
    }

    public bool IsDisposed => _disposed;

    /// <summary>The TLS handshake's options: SNI from <see cref="PluggableNetClientOptions.TlsTargetHost"/> or the endpoint's host.</summary>
    private SslClientAuthenticationOptions TlsOptions(EndPoint endPoint) => new()
    {
        TargetHost = _options.TlsTargetHost ?? endPoint switch
        {
            DnsEndPoint dns => dns.Host,
            IPEndPoint ip => ip.Address.ToString(),
            _ => string.Empty,
        },
        ClientCertificates = _options.TlsClientCertificate is { } certificate ? [certificate] : null,
        RemoteCertificateValidationCallback = _options.TlsCertificateValidation,
    };

    private static string Innermost(Exception exception)
    {
        while (exception.InnerException is { } inner)
        {
            exception = inner;
        }

        return exception.Message;
    }

    /// <summary>
    /// Opens a connection to <paramref name="endpoint"/> (for v2, its handshake included, within the same timeout); a
    /// failure marks the endpoint down for its backoff.
    /// </summary>
    /// <exception cref="PluggableNetConnectionException">The connect (or the v2 handshake) failed or timed out.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed meanwhile.</exception>
    public async Task<ClientConnection> ConnectAsync(EndpointState endpoint)
    {
        var socket = endpoint.EndPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        Settings? settings = null;
        SslStream? tls = null;
        try
        {
            socket.NoDelay = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
            timeout.CancelAfter(_connectTimeout);
            await socket.ConnectAsync(endpoint.EndPoint, timeout.Token).ConfigureAwait(false);
            if (_options.UseTls)
            {
                tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
                await tls.AuthenticateAsClientAsync(TlsOptions(endpoint.EndPoint), timeout.Token).ConfigureAwait(false);
            }

            if (_options.Protocol == ClientProtocol.V2)
            {
                settings = await V2Handshake.RunAsync((Stream?)tls ?? new NetworkStream(socket, ownsSocket: false), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or ObjectDisposedException or IOException or AuthenticationException)
        {
            tls?.Dispose();
            socket.Dispose();
            if (_disposed)
            {
                throw new ObjectDisposedException(nameof(PluggableNetClient), "The client was disposed while connecting.");
            }

            var reason = exception switch
            {
                OperationCanceledException when _options.Protocol == ClientProtocol.V2 => $"no connection and v2 handshake within {_connectTimeout}",
                OperationCanceledException when _options.UseTls => $"no connection and TLS handshake within {_connectTimeout}",
                OperationCanceledException => $"no connection within {_connectTimeout}",
                AuthenticationException => "TLS handshake failed: " + Innermost(exception),
                IOException when tls is { IsAuthenticated: false } => "TLS handshake failed: " + Innermost(exception),
                IOException => "the host " + exception.Message,
                _ => exception.Message,
            };
            var downFor = endpoint.MarkDown(Environment.TickCount64, _downTime, _maxDownTime);
            ClientLog.ConnectFailed(_logger, endpoint.Name, reason, downFor);
            throw new PluggableNetConnectionException($"Cannot connect to {endpoint.Name}: {reason}", mayHaveBeenProcessed: false, endpoint.EndPoint, exception);
        }

        if (endpoint.MarkUp())
        {
            ClientLog.EndpointUp(_logger, endpoint.Name);
        }

        ClientConnection connection = settings is null
            ? new V1Connection(socket, tls, endpoint, _header, _maxAnswerBytes)
            : new V2Connection(socket, tls, endpoint, settings, _options, _onRefused);
        lock (_open)
        {
            if (_disposed)
            {
                socket.Dispose();
                throw new ObjectDisposedException(nameof(PluggableNetClient), "The client was disposed while connecting.");
            }

            _open.Add(connection, null);
        }

        connection.Start();
        var watcher = WatchAsync(connection);
        lock (_open)
        {
            // Unless it already ended (and left the set).
            if (_open.ContainsKey(connection))
            {
                _open[connection] = watcher;
            }
        }

        if (settings is null)
        {
            ClientLog.Connected(_logger, endpoint.Name, connection.Id);
        }
        else
        {
            ClientLog.ConnectedV2(_logger, endpoint.Name, connection.Id, settings.Server, settings.Plugin, settings.MaxConcurrentRequests, settings.MaxFrameBytes);
        }
        return connection;
    }

    /// <summary>Marks the endpoint down after a connection to it broke; returns for how long.</summary>
    public TimeSpan MarkDown(EndpointState endpoint) => endpoint.MarkDown(Environment.TickCount64, _downTime, _maxDownTime);

    /// <summary>Closes every connection and waits until each one's end has been handled.</summary>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _scanTimer.DisposeAsync().ConfigureAwait(false);
        await _disposing.CancelAsync().ConfigureAwait(false);
        KeyValuePair<ClientConnection, Task?>[] open;
        lock (_open)
        {
            open = [.. _open];
        }

        foreach (var (connection, _) in open)
        {
            connection.Close();
        }

        // The watchers first: the requests left on each connection are failed before this returns.
        await Task.WhenAll(open.Select(c => c.Value ?? Task.CompletedTask).Concat(open.Select(c => c.Key.Completion))).ConfigureAwait(false);
        _disposing.Dispose();
    }

    private async Task WatchAsync(ClientConnection connection)
    {
        var ended = await connection.Ended.ConfigureAwait(false);
        lock (_open)
        {
            _open.Remove(connection);
        }

        connection.Endpoint.Remove(connection);
        _onEnded(connection, ended);
    }

    private void Scan()
    {
        // Timer callbacks may overlap on a busy machine; one scan at a time is enough.
        if (Interlocked.Exchange(ref _scanning, 1) != 0)
        {
            return;
        }

        try
        {
            var now = Environment.TickCount64;
            lock (_open)
            {
                _scanned.AddRange(_open.Keys);
            }

            // Outside the lock: closing a stalled connection may end it on this thread, which takes the lock.
            foreach (var connection in _scanned)
            {
                var outcome = connection.Scan(now);
                if (outcome.TimedOut > 0)
                {
                    _statistics.TimedOut(outcome.TimedOut);
                }

                if (outcome.Stalled)
                {
                    connection.Endpoint.Remove(connection);
                    ClientLog.Stalled(_logger, connection.Id, connection.Endpoint.Name);
                }
            }
        }
        finally
        {
            _scanned.Clear();
            Volatile.Write(ref _scanning, 0);
        }
    }
}
