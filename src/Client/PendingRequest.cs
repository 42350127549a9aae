using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Tasks.Sources;
using PluggableNet.Protocol;

namespace PluggableNet.Client;

/// <summary>
/// One request from the call to its answer: its framed bytes (a pooled copy, so the caller's memory is free once
/// <c>SendAsync</c> returns and the request can be resent), its deadline, where its answer goes (a new array, or the
/// caller's <see cref="IBufferWriter{T}"/>) and the <see cref="ValueTask"/> the caller awaits. Pooled: it goes back
/// to the pool once both the caller has read the result and no connection holds it.
/// </summary>
internal sealed class PendingRequest : IValueTaskSource<byte[]>, IValueTaskSource<int>
{
    private const int MaxPooled = 1024;
    private const int MaxPooledFrameBytes = 64 * 1024;
    private static readonly ConcurrentQueue<PendingRequest> s_pool = new();
    private static int s_pooled;

    // The result is the answer's length; the answer itself is in _answer or already in the caller's writer.
    private ManualResetValueTaskSourceCore<int> _core = new() { RunContinuationsAsynchronously = true };
    private byte[] _frame = [];
    private int _frameLength;
    private IBufferWriter<byte>? _answerWriter;
    private byte[]? _answer;
    private int _completed;
    private int _references;
    private CancellationTokenRegistration _cancellation;
    private bool _mayBeLate;
    private V2Connection? _owner;

    public short Version => _core.Version;

    /// <summary>The request as sent: header and payload for v1, the payload alone for v2 (the connection writes the frame header with its id).</summary>
    public ReadOnlySpan<byte> Frame => _frame.AsSpan(0, _frameLength);

    public int FrameLength => _frameLength;

    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    public bool Idempotent { get; private set; }

    /// <summary><see cref="Environment.TickCount64"/> at which the request times out; <see cref="long.MaxValue"/> for never.</summary>
    public long Deadline { get; private set; }

    public TimeSpan Timeout { get; private set; }

    /// <summary>Times resent after a graceful close without its answer.</summary>
    public int GracefulResends { get; set; }

    /// <summary>Times a v2 server handed it back unprocessed (GOAWAY, ERROR SHUTTING_DOWN or OVERLOADED) and it was resent.</summary>
    public int Refusals { get; set; }

    /// <summary>Its id on the v2 connection it was last sent on; 0 while not sent.</summary>
    public uint WireId { get; set; }

    /// <summary>Whether the one retry an idempotent request gets has been used.</summary>
    public bool Retried { get; set; }

    /// <summary>Whether a server may already have processed it (it was sent whole on a connection that then died).</summary>
    public bool MayHaveBeenProcessed { get; set; }

    /// <summary>Where its bytes end in the stream of the connection it was last queued on.</summary>
    public long EndOffset { get; set; }

    /// <summary>The endpoint it was last queued on (or tried).</summary>
    public EndPoint? LastEndpoint { get; set; }

    /// <summary>
    /// A pooled request framed with <paramref name="header"/> (v1), or unframed when null (v2); its answer goes to
    /// <paramref name="answerWriter"/>, or a new array when null.
    /// </summary>
    public static PendingRequest Rent(LengthHeader? header, ReadOnlySpan<byte> payload, bool idempotent, TimeSpan timeout, IBufferWriter<byte>? answerWriter)
    {
        if (!s_pool.TryDequeue(out var request))
        {
            request = new PendingRequest();
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }

        request.Prepare(header, payload, idempotent, timeout, answerWriter);
        return request;
    }

    /// <summary>Fails the request with <see cref="OperationCanceledException"/> when <paramref name="token"/> is cancelled.</summary>
    public void CancelWith(CancellationToken token)
    {
        if (token.CanBeCanceled)
        {
            _cancellation = token.UnsafeRegister(static (state, t) => ((PendingRequest)state!).Cancel(t), this);
        }
    }

    /// <summary>
    /// Makes <paramref name="connection"/> the v2 connection told when the caller cancels (it sends CANCEL). A full
    /// fence: either the canceller sees the owner, or the owner sees the request completed before sending it.
    /// </summary>
    public void SetOwner(V2Connection? connection) => Interlocked.Exchange(ref _owner, connection);

    /// <summary>
    /// Completes the request with <paramref name="payload"/>, copied where the caller wants it, unless it already
    /// completed (timed out, cancelled): then the answer is dropped. Called by the one receive loop that owns it.
    /// </summary>
    public void TryAnswer(in ReadOnlySequence<byte> payload)
    {
        if (!TryComplete())
        {
            return;
        }

        if (_answerWriter is null)
        {
            _answer = payload.IsEmpty ? [] : payload.ToArray();
        }
        else
        {
            try
            {
                foreach (var segment in payload)
                {
                    _answerWriter.Write(segment.Span);
                }
            }
            catch (Exception exception)
            {
                // The caller's writer refused the bytes (full, disposed): that is the caller's failure, not the connection's.
                _core.SetException(exception);
                return;
            }
        }

        _core.SetResult((int)payload.Length);
    }

    public bool TrySetException(Exception exception)
    {
        if (!TryComplete())
        {
            return false;
        }

        _core.SetException(exception);
        return true;
    }

    /// <summary>The connection side lets go of the request (answer read, dropped, or given up).</summary>
    public void ReleaseTransport() => Release();

    byte[] IValueTaskSource<byte[]>.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
            return _answer!;
        }
        finally
        {
            Release();
        }
    }

    int IValueTaskSource<int>.GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Release();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Cancel(CancellationToken token)
    {
        if (TrySetException(new OperationCanceledException("The request was cancelled; its answer, if it comes, is dropped.", null, token)))
        {
            Volatile.Read(ref _owner)?.Abandon(this);
        }
    }

    private void Prepare(LengthHeader? header, ReadOnlySpan<byte> payload, bool idempotent, TimeSpan timeout, IBufferWriter<byte>? answerWriter)
    {
        var headerSize = header?.Size ?? 0;
        _frameLength = headerSize + payload.Length;
        if (_frame.Length < _frameLength)
        {
            if (_frame.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_frame);
            }

            _frame = ArrayPool<byte>.Shared.Rent(_frameLength);
        }

        header?.Write(_frame, payload.Length);
        payload.CopyTo(_frame.AsSpan(headerSize));
        _answerWriter = answerWriter;
        _answer = null;
        Idempotent = idempotent;
        Timeout = timeout;
        Deadline = timeout == System.Threading.Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        GracefulResends = 0;
        Refusals = 0;
        WireId = 0;
        _owner = null;
        Retried = false;
        MayHaveBeenProcessed = false;
        EndOffset = 0;
        LastEndpoint = null;
        _completed = 0;
        _mayBeLate = false;
        _cancellation = default;
        _references = 2;
    }

    private bool TryComplete()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }

        // A cancellation callback that is running (or ran) could still touch this object after it is reused: then it
        // is not reused.
        _mayBeLate = !_cancellation.Unregister() && _cancellation.Token.CanBeCanceled;
        _cancellation = default;
        return true;
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0)
        {
            return;
        }

        _core.Reset();
        _answerWriter = null;
        _answer = null;
        if (_mayBeLate || _frame.Length > MaxPooledFrameBytes)
        {
            // Not reused; a large frame goes back to the array pool rather than staying pinned to a pooled request.
            if (_frame.Length > 0 && !_mayBeLate)
            {
                ArrayPool<byte>.Shared.Return(_frame);
                _frame = [];
            }

            return;
        }

        if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            s_pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
            ArrayPool<byte>.Shared.Return(_frame);
            _frame = [];
        }
    }
}
