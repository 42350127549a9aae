using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PluggableNet.Client;

/// <summary>
/// Sends requests to one or more PluggableNet hosts and returns their answers. Thread-safe: many callers may send at
/// once; their requests are pipelined over a few persistent connections per endpoint and each gets its own answer
/// (the host answers in order). Dispose it when done: requests still waiting then fail.
/// </summary>
/// <remarks>
/// Failures are explicit. A request that could not be sent whole (no endpoint reachable) fails with
/// <see cref="PluggableNetConnectionException"/> and <see cref="PluggableNetConnectionException.MayHaveBeenProcessed"/>
/// false. A request whose connection died after it was sent fails the same way with it true, unless it is
/// idempotent (<see cref="PluggableNetClientOptions.Idempotent"/>, <see cref="RequestOptions.Idempotent"/>): then it is
/// sent once more on another connection (another endpoint if there is one). A graceful close by the server at a frame
/// boundary, what a draining or restarting host does, is no failure: the requests it left unanswered were not
/// processed, and are resent on a new connection.
/// </remarks>
public sealed class PluggableNetClient : IAsyncDisposable
{
    private const int ScanIntervalMs = 50;

    private readonly FrameHeader _header;
    private readonly EndpointState[] _endpoints;
    private readonly ILogger _logger;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _downTime;
    private readonly TimeSpan _maxDownTime;
    private readonly EndpointSelection _selection;
    private readonly bool _idempotent;
    private readonly int _maxResends;
    private readonly Func<EndpointState, Task<ClientConnection>> _connect;
    private readonly HashSet<ClientConnection> _connections = [];
    private readonly List<ClientConnection> _scanned = [];
    private readonly CancellationTokenSource _disposing = new();
    private readonly Timer _scanTimer;
    private uint _next;
    private long _resent;
    private long _retried;
    private long _connectionFailures;
    private long _timeouts;
    private int _scanning;
    private volatile bool _disposed;

    /// <summary>Creates a client; nothing connects until the first request.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public PluggableNetClient(PluggableNetClientOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _header = new FrameHeader(options.Framing, options.HeaderDigits, options.MaxAnswerBytes);
        _endpoints = [.. options.Endpoints.Select((e, i) => new EndpointState(e, i, options.ConnectionsPerEndpoint))];
        _logger = logger ?? NullLogger.Instance;
        _connectTimeout = options.ConnectTimeout;
        _requestTimeout = options.RequestTimeout;
        _downTime = options.EndpointDownTime;
        _maxDownTime = options.MaxEndpointDownTime;
        _selection = options.Selection;
        _idempotent = options.Idempotent;
        _maxResends = options.MaxResendsOnGracefulClose;
        _connect = ConnectAsync;
        _scanTimer = new Timer(static state => ((PluggableNetClient)state!).Scan(), this, ScanIntervalMs, ScanIntervalMs);
    }

    /// <summary>Creates a client for one endpoint (<c>host:port</c>) with the default options.</summary>
    public PluggableNetClient(string endpoint, ILogger? logger = null)
        : this(WithEndpoint(endpoint), logger)
    {
    }

    /// <summary>What the client has done so far: requests resent, retried, failed.</summary>
    public ClientCounters Counters => new(
        Interlocked.Read(ref _resent),
        Interlocked.Read(ref _retried),
        Interlocked.Read(ref _connectionFailures),
        Interlocked.Read(ref _timeouts));

    /// <summary>The largest request payload the framing can express (99,999 bytes with 5 ASCII digits).</summary>
    public int MaxRequestBytes => _header.MaxRequestBytes;

    /// <summary>
    /// Sends <paramref name="request"/> (a payload; the client adds the header) and returns the answer's payload,
    /// a new array the caller owns (empty if the plugin answered nothing). The request bytes are copied before this
    /// returns, so the caller may reuse its buffer at once. Await the result once, as any <see cref="ValueTask"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The request is empty or larger than <see cref="MaxRequestBytes"/>.</exception>
    /// <exception cref="PluggableNetConnectionException">No answer: see the class remarks.</exception>
    /// <exception cref="TimeoutException">No answer within the request timeout; the request may have been processed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the answer, if it comes, is dropped.</exception>
    public ValueTask<byte[]> SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default) =>
        SendAsync(request, default, cancellationToken);

    /// <summary>As <see cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, with per-request <paramref name="options"/>.</summary>
    public ValueTask<byte[]> SendAsync(ReadOnlyMemory<byte> request, RequestOptions options, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (request.IsEmpty)
        {
            throw new ArgumentException("A request has at least one byte: the protocol has no empty requests.", nameof(request));
        }

        if (request.Length > _header.MaxRequestBytes)
        {
            throw new ArgumentException($"The request has {request.Length} bytes; the framing allows at most {_header.MaxRequestBytes}.", nameof(request));
        }

        var timeout = options.Timeout ?? _requestTimeout;
        if (timeout != Timeout.InfiniteTimeSpan && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), timeout, "A request timeout is positive or Timeout.InfiniteTimeSpan.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<byte[]>(cancellationToken);
        }

        var pending = PendingRequest.Rent(_header, request.Span, options.Idempotent ?? _idempotent, timeout);
        var version = pending.Version;
        pending.CancelWith(cancellationToken);
        Dispatch(pending, avoid: null, waitForEndpoint: false);
        return new ValueTask<byte[]>(pending, version);
    }

    /// <summary>Sends <paramref name="request"/> as UTF-8 and returns the answer decoded as UTF-8.</summary>
    public async ValueTask<string> SendStringAsync(string request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var answer = await SendAsync(Encoding.UTF8.GetBytes(request), cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(answer);
    }

    /// <summary>Closes every connection; requests still waiting fail with <see cref="PluggableNetConnectionException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _scanTimer.DisposeAsync().ConfigureAwait(false);
        await _disposing.CancelAsync().ConfigureAwait(false);
        ClientConnection[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        foreach (var connection in open)
        {
            connection.Close();
        }

        await Task.WhenAll(open.Select(c => c.Completion)).ConfigureAwait(false);
        _disposing.Dispose();
    }

    internal void OnRetired(ClientConnection connection)
    {
        connection.Endpoint.Remove(connection);
        ClientLog.Stalled(_logger, connection.Id, connection.Endpoint.Name);
    }

    internal void OnConnectionEnded(ClientConnection connection, ConnectionEnd how, string reason, Exception? error, List<PendingRequest> orphans)
    {
        lock (_connections)
        {
            _connections.Remove(connection);
        }

        var endpoint = connection.Endpoint;
        endpoint.Remove(connection);
        var waiting = orphans.Count(r => !r.IsCompleted);
        if (how == ConnectionEnd.Broken && !_disposed)
        {
            var downFor = endpoint.MarkDown(Environment.TickCount64, _downTime, _maxDownTime);
            ClientLog.Broken(_logger, connection.Id, endpoint.Name, reason, waiting, downFor);
        }
        else if (how == ConnectionEnd.Graceful && waiting > 0)
        {
            ClientLog.ClosedGracefully(_logger, connection.Id, endpoint.Name, reason, waiting);
        }
        else
        {
            ClientLog.Closed(_logger, connection.Id, endpoint.Name, reason);
        }

        var sent = connection.SentBytes;
        foreach (var request in orphans)
        {
            if (request.IsCompleted)
            {
                request.ReleaseTransport();
            }
            else if (_disposed)
            {
                Fail(request, "The client was disposed before the answer arrived.", mayHaveBeenProcessed: true, endpoint.EndPoint, error);
            }
            else if (how == ConnectionEnd.Graceful)
            {
                if (++request.GracefulResends > _maxResends)
                {
                    Fail(request, $"{endpoint.Name} closed the connection {request.GracefulResends} time(s) without answering this request. A host closes so when it drains or restarts, but also after rejecting a request or when its plugin failed on it; the request may have been processed.", mayHaveBeenProcessed: true, endpoint.EndPoint, error);
                }
                else
                {
                    Interlocked.Increment(ref _resent);
                    Dispatch(request, endpoint, waitForEndpoint: true);
                }
            }
            else if (request.EndOffset > sent)
            {
                // Never sent whole, so never processed: safe to send again whatever it does.
                Interlocked.Increment(ref _resent);
                Dispatch(request, endpoint, waitForEndpoint: false);
            }
            else if (request.Idempotent && !request.Retried)
            {
                request.Retried = true;
                request.MayHaveBeenProcessed = true;
                Interlocked.Increment(ref _retried);
                Dispatch(request, endpoint, waitForEndpoint: false);
            }
            else
            {
                Fail(request, $"The connection to {endpoint.Name} {reason} before the answer arrived; the request may have been processed.", mayHaveBeenProcessed: true, endpoint.EndPoint, error);
            }
        }
    }

    private static PluggableNetClientOptions WithEndpoint(string endpoint)
    {
        var options = new PluggableNetClientOptions();
        options.Endpoints.Add(PluggableNetClientOptions.ParseEndpoint(endpoint));
        return options;
    }

    internal void CountTimeout() => Interlocked.Increment(ref _timeouts);

    private void Fail(PendingRequest request, string message, bool mayHaveBeenProcessed, EndPoint? endpoint, Exception? error)
    {
        if (request.TrySetException(new PluggableNetConnectionException(message, mayHaveBeenProcessed || request.MayHaveBeenProcessed, endpoint, error)))
        {
            Interlocked.Increment(ref _connectionFailures);
        }

        request.ReleaseTransport();
    }

    /// <summary>
    /// Queues <paramref name="request"/> on the best open connection of the best endpoint (not <paramref name="avoid"/>
    /// if another is up), opening one in the background when every open connection is busy; without any open
    /// connection it waits for one on the slow path.
    /// </summary>
    private void Dispatch(PendingRequest request, EndpointState? avoid, bool waitForEndpoint)
    {
        var endpoint = PickEndpoint(tried: 0, avoid);
        if (endpoint is not null && !_disposed)
        {
            var connection = endpoint.Pick(out var emptySlot);
            if (emptySlot >= 0 && connection is not null)
            {
                OpenInBackground(endpoint, emptySlot);
            }

            if (connection is not null && connection.TryEnqueue(request))
            {
                return;
            }
        }

        _ = DispatchSlowAsync(request, endpoint, avoid, waitForEndpoint);
    }

    private void OpenInBackground(EndpointState endpoint, int slot) =>
        endpoint.ConnectionAsync(slot, _connect).ContinueWith(
            static t => _ = t.Exception, // Logged by ConnectAsync; observed here.
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    /// <summary>Connects where needed; tries <paramref name="first"/> (the fast path's choice) first, then every other endpoint once.</summary>
    private async Task DispatchSlowAsync(PendingRequest request, EndpointState? first, EndpointState? avoid, bool waitForEndpoint)
    {
        Exception? lastError = null;
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            ulong tried = 0;
            var endpoint = first ?? PickEndpoint(tried, avoid);
            first = null;
            for (; endpoint is not null; endpoint = PickEndpoint(tried, avoid))
            {
                if (request.IsCompleted)
                {
                    request.ReleaseTransport();
                    return;
                }

                if (_disposed)
                {
                    Fail(request, "The client was disposed before the request was sent.", mayHaveBeenProcessed: false, endpoint.EndPoint, null);
                    return;
                }

                tried |= endpoint.Bit;
                request.LastEndpoint = endpoint.EndPoint;
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    var open = endpoint.Pick(out var emptySlot);
                    try
                    {
                        var connection = open ?? await WaitForDeadline(endpoint.ConnectionAsync(emptySlot >= 0 ? emptySlot : Math.Max(endpoint.FreeSlot(), 0), _connect), request).ConfigureAwait(false);
                        if (connection.TryEnqueue(request))
                        {
                            return;
                        }
                    }
                    catch (Exception exception) when (exception is PluggableNetConnectionException or ObjectDisposedException)
                    {
                        lastError = exception;
                        break;
                    }
                    catch (TimeoutException)
                    {
                        if (request.TrySetException(new TimeoutException($"No connection to {endpoint.Name} within the request's timeout {request.Timeout}; the request was not sent.")))
                        {
                            CountTimeout();
                        }

                        request.ReleaseTransport();
                        return;
                    }
                }
            }

            var remaining = request.Deadline - Environment.TickCount64;
            if (!waitForEndpoint || remaining <= 0 || _disposed || request.IsCompleted)
            {
                if (request.IsCompleted)
                {
                    request.ReleaseTransport();
                    return;
                }

                var names = string.Join(", ", _endpoints.Select(e => e.Name));
                Fail(request, $"No endpoint could take the request ({names}): {lastError?.Message ?? "none is reachable"}", mayHaveBeenProcessed: false, request.LastEndpoint, lastError);
                return;
            }

            // The server said it is going away (graceful close): wait for it, or another, to come back, up to the request's deadline.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds, remaining))).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>
    /// The endpoint for the next request among those not in <paramref name="tried"/>: one that is up (by the selection
    /// policy, <paramref name="avoid"/> last), else the down one due back soonest; null when every endpoint was tried.
    /// </summary>
    private EndpointState? PickEndpoint(ulong tried, EndpointState? avoid)
    {
        var now = Environment.TickCount64;
        var count = _endpoints.Length;
        if (count == 1)
        {
            return (tried & 1) == 0 ? _endpoints[0] : null;
        }

        var start = (int)(Interlocked.Increment(ref _next) % (uint)count);
        EndpointState? best = null;
        var bestPending = int.MaxValue;
        for (var k = 0; k < count; k++)
        {
            var endpoint = _endpoints[(start + k) % count];
            if ((tried & endpoint.Bit) != 0 || endpoint == avoid || endpoint.IsDown(now))
            {
                continue;
            }

            if (_selection == EndpointSelection.RoundRobin)
            {
                return endpoint;
            }

            var pending = endpoint.Pending;
            if (pending < bestPending)
            {
                best = endpoint;
                bestPending = pending;
            }
        }

        if (best is not null)
        {
            return best;
        }

        if (avoid is not null && (tried & avoid.Bit) == 0 && !avoid.IsDown(now))
        {
            return avoid;
        }

        // Every endpoint left is down: the one due back soonest is tried anyway, rather than failing without trying.
        for (var k = 0; k < count; k++)
        {
            var endpoint = _endpoints[k];
            if ((tried & endpoint.Bit) == 0 && (best is null || endpoint.DownUntil < best.DownUntil))
            {
                best = endpoint;
            }
        }

        return best;
    }

    private async Task<ClientConnection> ConnectAsync(EndpointState endpoint)
    {
        var socket = endpoint.EndPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
            timeout.CancelAfter(_connectTimeout);
            await socket.ConnectAsync(endpoint.EndPoint, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            socket.Dispose();
            if (_disposed)
            {
                throw new ObjectDisposedException(nameof(PluggableNetClient), "The client was disposed while connecting.");
            }

            var reason = exception is OperationCanceledException ? $"no connection within {_connectTimeout}" : exception.Message;
            var downFor = endpoint.MarkDown(Environment.TickCount64, _downTime, _maxDownTime);
            ClientLog.ConnectFailed(_logger, endpoint.Name, reason, downFor);
            throw new PluggableNetConnectionException($"Cannot connect to {endpoint.Name}: {reason}", mayHaveBeenProcessed: false, endpoint.EndPoint, exception);
        }

        if (endpoint.MarkUp())
        {
            ClientLog.EndpointUp(_logger, endpoint.Name);
        }

        var connection = new ClientConnection(socket, endpoint, _header, this);
        lock (_connections)
        {
            if (_disposed)
            {
                socket.Dispose();
                throw new ObjectDisposedException(nameof(PluggableNetClient), "The client was disposed while connecting.");
            }

            _connections.Add(connection);
        }

        connection.Start();
        ClientLog.Connected(_logger, endpoint.Name, connection.Id);
        return connection;
    }

    private static Task<ClientConnection> WaitForDeadline(Task<ClientConnection> connecting, PendingRequest request)
    {
        var remaining = request.Deadline - Environment.TickCount64;
        return request.Deadline == long.MaxValue || connecting.IsCompleted ? connecting : connecting.WaitAsync(TimeSpan.FromMilliseconds(Math.Max(remaining, 0)));
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
            lock (_connections)
            {
                _scanned.AddRange(_connections);
            }

            // Outside the lock: closing a stalled connection may end it on this thread, which takes the lock.
            foreach (var connection in _scanned)
            {
                connection.Scan(now);
            }
        }
        finally
        {
            _scanned.Clear();
            Volatile.Write(ref _scanning, 0);
        }
    }
}
