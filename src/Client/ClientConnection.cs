using System.IO.Pipelines;
using System.Net.Sockets;

namespace PluggableNet.Client;

/// <summary>
/// One persistent connection to an endpoint, whatever the protocol: it takes requests, hands each answer to its
/// request, times requests out, and reports its end in <see cref="Ended"/> (how, and the requests it leaves) instead of
/// calling the client. <see cref="V1Connection"/> matches answers by order; V2Connection by id. This base runs both
/// loops over the socket (or the TLS stream over it, <see cref="PluggableNetClientOptions.UseTls"/>): the send loop writes
/// out what the protocol appends to the send pipe, the receive loop hands what arrives to the protocol.
/// </summary>
internal abstract partial class ClientConnection
{
    /// <summary>Pipe segments: large enough that a burst of small requests or answers goes in one system call.</summary>
    private const int SegmentBytes = 16 * 1024;

    private static long s_ids;

    /// <summary>Guards the connection's state (these fields and each protocol's own) and the writer of the send pipe.</summary>
    private protected readonly object _lock = new();

    /// <summary>Over (set when the receive loop ends): nothing more is written or taken.</summary>
    private protected bool _closed;

    /// <summary>Takes no new requests; those already taken are still answered.</summary>
    private protected bool _retired;

    /// <summary>Backs <see cref="Pending"/>.</summary>
    private protected int _pending;

    private readonly Socket _socket;

    /// <summary>The TLS stream over <see cref="_socket"/>, or null: plain connections keep the socket's allocation-free calls.</summary>
    private readonly Stream? _tls;
    private readonly Pipe _send;
    private readonly Pipe _receive;
    private long _sentBytes;
    private volatile bool _closedByClient;
    private volatile string? _abortReason;
    private Task<ConnectionEnded>? _receiveLoop;
    private Task _sendLoop = Task.CompletedTask;

    protected ClientConnection(Socket socket, Stream? tls, EndpointState endpoint)
    {
        _socket = socket;
        _tls = tls;
        Endpoint = endpoint;
        Id = Interlocked.Increment(ref s_ids);

        // Unbounded (writers never wait: requests are bounded by the callers, answers are consumed at once). The send
        // loop is woken on the thread pool so that a caller enqueuing under the lock never runs it inline.
        _send = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: SegmentBytes, useSynchronizationContext: false));
        _receive = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: SegmentBytes, useSynchronizationContext: false));
    }

    public long Id { get; }

    public EndpointState Endpoint { get; }

    /// <summary>
    /// Requests taken whose answer has not been read: what the least-pending choice compares. V1 counts cancelled and
    /// timed-out ones until their answer arrives (the order must hold); v2 lets them go at once.
    /// </summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Whether new requests may go on this connection.</summary>
    public bool Usable
    {
        get
        {
            lock (_lock)
            {
                return !_closed && !_retired;
            }
        }
    }

    /// <summary>Completes once, when the connection is over, with what became of it and the requests it leaves.</summary>
    public Task<ConnectionEnded> Ended => _receiveLoop ?? throw new InvalidOperationException("The connection was not started.");

    /// <summary>Both loops over (after <see cref="Ended"/>).</summary>
    public Task Completion => Task.WhenAll(Ended, _sendLoop);

    /// <summary>Where requests and control frames are appended, under the lock; flushing it wakes the send loop.</summary>
    private protected PipeWriter SendWriter => _send.Writer;

    public void Start()
    {
        _sendLoop = SendLoopAsync();
        _receiveLoop = ReceiveLoopAsync();
    }

    /// <summary>Takes <paramref name="request"/>; false if the connection takes no new requests.</summary>
    public abstract bool TryEnqueue(PendingRequest request);

    /// <summary>Fails requests whose deadline has passed and checks the connection's health; called every scan interval.</summary>
    public abstract ScanOutcome Scan(long now);

    /// <summary>Closes the socket from our side; the connection ends and reports <see cref="ConnectionEnd.ClosedByClient"/>.</summary>
    public void Close()
    {
        _closedByClient = true;
        ShutDownSocket();
    }

    /// <summary>Closes the socket because the connection is unusable; it ends as <see cref="ConnectionEnd.Broken"/> with <paramref name="reason"/>.</summary>
    private protected void Abort(string reason)
    {
        _abortReason = reason;
        ShutDownSocket();
    }

    private void ShutDownSocket()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        _socket.Dispose();
    }

    private async Task SendLoopAsync()
    {
        var reader = _send.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    var unsent = segment;
                    while (!unsent.IsEmpty)
                    {
                        if (_tls is { } tls)
                        {
                            await tls.WriteAsync(unsent).ConfigureAwait(false);
                            break;
                        }

                        var sent = await _socket.SendAsync(unsent, SocketFlags.None).ConfigureAwait(false);
                        unsent = unsent[sent..];
                    }
                }

                Volatile.Write(ref _sentBytes, _sentBytes + buffer.Length);
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or IOException)
        {
            // The receive loop tells how the connection ended. Requests not sent whole are resent from there; new ones go elsewhere.
        }
        finally
        {
            lock (_lock)
            {
                // No writer appends to a connection that is retired; its queued bytes go back to the pool.
                _retired = true;
                reader.Complete();
            }
        }
    }
}
