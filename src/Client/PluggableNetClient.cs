using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableNet.Protocol;
using PluggableNet.Protocol.V2;

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
    private readonly LengthHeader? _header;
    private readonly int _maxRequestBytes;
    private readonly bool _allowsEmpty;
    private readonly TimeSpan _requestTimeout;
    private readonly bool _idempotent;
    private readonly ClientStatistics _statistics = new();
    private readonly RequestRouter _router;
    private volatile bool _disposed;

    /// <summary>Creates a client; nothing connects until the first request.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public PluggableNetClient(PluggableNetClientOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var header = new LengthHeader(options.Framing, options.HeaderDigits);

        // v2 frames the payload on the connection, with the request's id there; its length is a u32.
        _header = options.Protocol == ClientProtocol.V1 ? header : null;
        _maxRequestBytes = options.Protocol == ClientProtocol.V1 ? header.MaxPayloadBytes : Array.MaxLength - FrameHeader.Size;
        _allowsEmpty = options.Protocol == ClientProtocol.V2;
        _requestTimeout = options.RequestTimeout;
        _idempotent = options.Idempotent;
        _router = new RequestRouter(options, header, _statistics, logger ?? NullLogger.Instance);
    }

    /// <summary>Creates a client for one endpoint (<c>host:port</c>) with the default options.</summary>
    public PluggableNetClient(string endpoint, ILogger? logger = null)
        : this(WithEndpoint(endpoint), logger)
    {
    }

    /// <summary>What the client has done so far: requests resent, retried, failed.</summary>
    public ClientCounters Counters => _statistics.Snapshot();

    /// <summary>
    /// The largest request payload the framing can express (99,999 bytes with 5 ASCII digits). With
    /// <see cref="ClientProtocol.V2"/> each host also announces its own limit: a larger request fails with
    /// <see cref="PluggableNetRequestException"/> (<see cref="ErrorCode.FrameTooLarge"/>), unsent.
    /// </summary>
    public int MaxRequestBytes => _maxRequestBytes;

    /// <summary>
    /// Sends <paramref name="request"/> (a payload; the client adds the header) and returns the answer's payload,
    /// a new array the caller owns (empty if the plugin answered nothing). The request bytes are copied before this
    /// returns, so the caller may reuse its buffer at once. Await the result once, as any <see cref="ValueTask"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The request is empty or larger than <see cref="MaxRequestBytes"/>.</exception>
    /// <exception cref="PluggableNetConnectionException">No answer: see the class remarks.</exception>
    /// <exception cref="TimeoutException">No answer within the request timeout; the request may have been processed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the answer, if it comes, is dropped.</exception>
    [SuppressMessage("ApiDesign", "RS0027", Justification = "Shipped in 1.0. The overloads with more parameters take an IBufferWriter second, so no call written against 1.0 binds to them.")]
    public ValueTask<byte[]> SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default) =>
        SendAsync(request, default(RequestOptions), cancellationToken);

    /// <summary>As <see cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, with per-request <paramref name="options"/>.</summary>
    [SuppressMessage("ApiDesign", "RS0027", Justification = "Shipped in 1.0. The overloads with more parameters take an IBufferWriter second, so no call written against 1.0 binds to them.")]
    public ValueTask<byte[]> SendAsync(ReadOnlyMemory<byte> request, RequestOptions options, CancellationToken cancellationToken = default)
    {
        var pending = Start(request, options, answer: null, cancellationToken, out var version);
        return pending is null ? ValueTask.FromCanceled<byte[]>(cancellationToken) : new ValueTask<byte[]>(pending, version);
    }

    /// <summary>
    /// Sends <paramref name="request"/> and writes the answer's payload into <paramref name="answer"/>, returning its
    /// length: no array per answer, so a steady pipelined load allocates nothing per request. The answer is written
    /// (on the client's receive thread) just before the result completes; do not touch <paramref name="answer"/> until
    /// then. A request that fails, times out or is cancelled writes nothing. Otherwise as
    /// <see cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/>; an exception thrown by the writer fails the request.
    /// </summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken) =>
        SendAsync(request, answer, default, cancellationToken);

    /// <summary>As <see cref="SendAsync(ReadOnlyMemory{byte}, IBufferWriter{byte}, CancellationToken)"/>, with per-request <paramref name="options"/>.</summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, RequestOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var pending = Start(request, options, answer, cancellationToken, out var version);
        return pending is null ? ValueTask.FromCanceled<int>(cancellationToken) : new ValueTask<int>(pending, version);
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
        await _router.DisposeAsync().ConfigureAwait(false);
    }

    private static PluggableNetClientOptions WithEndpoint(string endpoint)
    {
        var options = new PluggableNetClientOptions();
        options.Endpoints.Add(PluggableNetClientOptions.ParseEndpoint(endpoint));
        return options;
    }

    /// <summary>Checks the request, then hands a pending copy of it to the router; null if already cancelled.</summary>
    private PendingRequest? Start(ReadOnlyMemory<byte> request, RequestOptions options, IBufferWriter<byte>? answer, CancellationToken cancellationToken, out short version)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (request.IsEmpty && !_allowsEmpty)
        {
            throw new ArgumentException("A request has at least one byte: protocol v1 has no empty requests.", nameof(request));
        }

        if (request.Length > _maxRequestBytes)
        {
            throw new ArgumentException($"The request has {request.Length} bytes; the framing allows at most {_maxRequestBytes}.", nameof(request));
        }

        var timeout = options.Timeout ?? _requestTimeout;
        if (timeout != Timeout.InfiniteTimeSpan && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), timeout, "A request timeout is positive or Timeout.InfiniteTimeSpan.");
        }

        version = 0;
        if (cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        var pending = PendingRequest.Rent(_header, request.Span, options.Idempotent ?? _idempotent, timeout, answer);
        version = pending.Version;
        pending.CancelWith(cancellationToken);
        _router.Dispatch(pending, avoid: null, waitForEndpoint: false);
        return pending;
    }
}
