using System.Net;
using Microsoft.Extensions.Logging;
using PluggableNet.Protocol;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Client;

/// <summary>
/// Puts each request on a connection, and carries out <see cref="ResendPolicy"/>'s decision for the requests a
/// connection leaves when it ends. Which endpoint is <see cref="EndpointSelector"/>'s choice; opening and closing
/// connections is <see cref="ConnectionSet"/>'s job.
/// </summary>
internal sealed class RequestRouter
{
    private readonly EndpointState[] _endpoints;
    private readonly EndpointSelection _selection;
    private readonly ResendPolicy _policy;
    private readonly ClientStatistics _statistics;
    private readonly ILogger _logger;
    private readonly ConnectionSet _connections;
    private readonly Func<EndpointState, Task<ClientConnection>> _connect;
    private uint _next;

    public RequestRouter(PluggableNetClientOptions options, LengthHeader header, ClientStatistics statistics, ILogger logger)
    {
        _endpoints = [.. options.Endpoints.Select((e, i) => new EndpointState(e, i, options.ConnectionsPerEndpoint))];
        _selection = options.Selection;
        _policy = new ResendPolicy(options.MaxResendsOnGracefulClose);
        _statistics = statistics;
        _logger = logger;
        _connections = new ConnectionSet(options, header, logger, statistics, OnConnectionEnded, OnRefused);
        _connect = _connections.ConnectAsync;
    }

    public bool IsDisposed => _connections.IsDisposed;

    public ValueTask DisposeAsync() => _connections.DisposeAsync();

    /// <summary>
    /// Queues <paramref name="request"/> on the best open connection of the best endpoint (not <paramref name="avoid"/>
    /// if another is up), opening one in the background when every open connection is busy; without any open
    /// connection it waits for one on the slow path.
    /// </summary>
    public void Dispatch(PendingRequest request, EndpointState? avoid, bool waitForEndpoint)
    {
        var endpoint = PickEndpoint(tried: 0, avoid);
        if (endpoint is not null && !IsDisposed)
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

    private void OnConnectionEnded(ClientConnection connection, ConnectionEnded ended)
    {
        var endpoint = connection.Endpoint;
        var disposed = IsDisposed;
        var waiting = ended.Orphans.Count(r => !r.IsCompleted);
        if (ended.How == ConnectionEnd.Broken && !disposed)
        {
            ClientLog.Broken(_logger, connection.Id, endpoint.Name, ended.Reason, waiting, _connections.MarkDown(endpoint));
        }
        else if (ended.How == ConnectionEnd.Graceful && waiting > 0)
        {
            ClientLog.ClosedGracefully(_logger, connection.Id, endpoint.Name, ended.Reason, waiting);
        }
        else if (ended.How == ConnectionEnd.GoneAway && waiting > 0 && !disposed)
        {
            ClientLog.GoneAwayUnanswered(_logger, connection.Id, endpoint.Name, ended.Reason, waiting);
        }
        else
        {
            ClientLog.Closed(_logger, connection.Id, endpoint.Name, ended.Reason);
        }

        foreach (var request in ended.Orphans)
        {
            var signals = new OrphanSignals(ended.How, request.IsCompleted, disposed, ended.SentWhole(request), request.Idempotent, request.Retried, request.GracefulResends);
            var decision = _policy.Decide(signals);
            if (ended.How == ConnectionEnd.Graceful && decision is ResendDecision.ResendAfterGracefulClose or ResendDecision.FailAfterGracefulCloses)
            {
                request.GracefulResends++;
            }

            switch (decision)
            {
                case ResendDecision.Release:
                    request.ReleaseTransport();
                    break;
                case ResendDecision.FailDisposed:
                    Fail(request, "The client was disposed before the answer arrived.", mayHaveBeenProcessed: true, endpoint.EndPoint, ended.Error);
                    break;
                case ResendDecision.FailAfterGracefulCloses:
                    Fail(request, $"{endpoint.Name} closed the connection {request.GracefulResends} time(s) without answering this request. A host closes so when it drains or restarts, but also after rejecting a request or when its plugin failed on it; the request may have been processed.", mayHaveBeenProcessed: true, endpoint.EndPoint, ended.Error);
                    break;
                case ResendDecision.ResendAfterGracefulClose:
                    _statistics.Resent();
                    Dispatch(request, endpoint, waitForEndpoint: true);
                    break;
                case ResendDecision.ResendNeverSent:
                    _statistics.Resent();
                    Dispatch(request, endpoint, waitForEndpoint: false);
                    break;
                case ResendDecision.Retry:
                    request.Retried = true;
                    request.MayHaveBeenProcessed = true;
                    _statistics.Retried();
                    Dispatch(request, endpoint, waitForEndpoint: false);
                    break;
                default:
                    Fail(request, $"The connection to {endpoint.Name} {ended.Reason} before the answer arrived; the request may have been processed.", mayHaveBeenProcessed: true, endpoint.EndPoint, ended.Error);
                    break;
            }
        }
    }

    /// <summary>
    /// Protocol v2: a server handed <paramref name="request"/> back unprocessed, with an ERROR (<paramref name="error"/>:
    /// SHUTTING_DOWN, OVERLOADED) or a GOAWAY below its id (null); carries out <see cref="ResendPolicy.DecideRefused"/>.
    /// </summary>
    private void OnRefused(V2Connection connection, PendingRequest request, ErrorPayload? error)
    {
        var endpoint = connection.Endpoint;
        switch (_policy.DecideRefused(request.IsCompleted, IsDisposed, request.Refusals))
        {
            case ResendDecision.Release:
                request.ReleaseTransport();
                break;
            case ResendDecision.FailDisposed:
                Fail(request, "The client was disposed before the request could be sent again (the server had not processed it).", mayHaveBeenProcessed: false, endpoint.EndPoint, null);
                break;
            case ResendDecision.ResendRefused:
                request.Refusals++;
                _statistics.Resent();
                Dispatch(request, endpoint, waitForEndpoint: true);
                break;
            default:
                var why = error is { } e ? $"{e.Code}: {e.Text}" : "GOAWAY below its id";
                var message = $"Servers refused the request unprocessed {request.Refusals + 1} time(s), last {endpoint.Name} ({why}); it was not processed.";
                if (request.TrySetException(error is { } refusal
                    ? new PluggableNetRequestException(refusal.Code, message, endpoint.EndPoint)
                    : new PluggableNetConnectionException(message, request.MayHaveBeenProcessed, endpoint.EndPoint)))
                {
                    _statistics.ConnectionFailure();
                }

                request.ReleaseTransport();
                break;
        }
    }

    private void Fail(PendingRequest request, string message, bool mayHaveBeenProcessed, EndPoint? endpoint, Exception? error)
    {
        if (request.TrySetException(new PluggableNetConnectionException(message, mayHaveBeenProcessed || request.MayHaveBeenProcessed, endpoint, error)))
        {
            _statistics.ConnectionFailure();
        }

        request.ReleaseTransport();
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

                if (IsDisposed)
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
                            _statistics.TimedOut();
                        }

                        request.ReleaseTransport();
                        return;
                    }
                }
            }

            var remaining = request.Deadline - Environment.TickCount64;
            if (request.IsCompleted)
            {
                request.ReleaseTransport();
                return;
            }

            if (!waitForEndpoint || remaining <= 0 || IsDisposed)
            {
                var names = string.Join(", ", _endpoints.Select(e => e.Name));
                Fail(request, $"No endpoint could take the request ({names}): {lastError?.Message ?? "none is reachable"}", mayHaveBeenProcessed: false, request.LastEndpoint, lastError);
                return;
            }

            // The server said it is going away (graceful close): wait for it, or another, to come back, up to the request's deadline.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds, remaining))).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>The endpoint for the next request among those not in <paramref name="tried"/> (<see cref="EndpointSelector"/>); null when every one was tried.</summary>
    private EndpointState? PickEndpoint(ulong tried, EndpointState? avoid)
    {
        if (_endpoints.Length == 1)
        {
            return (tried & 1) == 0 ? _endpoints[0] : null;
        }

        Span<EndpointSignal> signals = stackalloc EndpointSignal[_endpoints.Length];
        var leastPending = _selection == EndpointSelection.LeastPending;
        for (var i = 0; i < _endpoints.Length; i++)
        {
            signals[i] = new EndpointSignal(_endpoints[i].DownUntil, leastPending ? _endpoints[i].Pending : 0);
        }

        var start = Interlocked.Increment(ref _next);
        var index = EndpointSelector.Pick(signals, _selection, tried, avoid?.Index ?? -1, Environment.TickCount64, start);
        return index < 0 ? null : _endpoints[index];
    }

    private static Task<ClientConnection> WaitForDeadline(Task<ClientConnection> connecting, PendingRequest request)
    {
        var remaining = request.Deadline - Environment.TickCount64;
        return request.Deadline == long.MaxValue || connecting.IsCompleted ? connecting : connecting.WaitAsync(TimeSpan.FromMilliseconds(Math.Max(remaining, 0)));
    }
}
