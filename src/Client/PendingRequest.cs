using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Tasks.Sources;

namespace PluggableNet.Client;

/// <summary>
/// One request from the call to its answer: its framed bytes (a pooled copy, so the caller's memory is free once
/// <c>SendAsync</c> returns and the request can be resent), its deadline, and the <see cref="ValueTask"/> the caller
/// awaits. Pooled: it goes back to the pool once both the caller has read the result and no connection holds it.
/// </summary>
internal sealed class PendingRequest : IValueTaskSource<byte[]>
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<PendingRequest> s_pool = new();
    private static int s_pooled;

    private ManualResetValueTaskSourceCore<byte[]> _core = new() { RunContinuationsAsynchronously = true };
    private byte[] _frame = [];
    private int _frameLength;
    private int _completed;
    private int _references;
    private CancellationTokenRegistration _cancellation;
    private bool _mayBeLate;

    public short Version => _core.Version;

    public ReadOnlySpan<byte> Frame => _frame.AsSpan(0, _frameLength);

    public int FrameLength => _frameLength;

    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    public bool Idempotent { get; private set; }

    /// <summary><see cref="Environment.TickCount64"/> at which the request times out; <see cref="long.MaxValue"/> for never.</summary>
    public long Deadline { get; private set; }

    public TimeSpan Timeout { get; private set; }

    /// <summary>Times resent after a graceful close without its answer.</summary>
    public int GracefulResends { get; set; }

    /// <summary>Whether the one retry an idempotent request gets has been used.</summary>
    public bool Retried { get; set; }

    /// <summary>Whether a server may already have processed it (it was sent whole on a connection that then died).</summary>
    public bool MayHaveBeenProcessed { get; set; }

    /// <summary>Where its bytes end in the stream of the connection it was last queued on.</summary>
    public long EndOffset { get; set; }

    /// <summary>The endpoint it was last queued on (or tried).</summary>
    public EndPoint? LastEndpoint { get; set; }

    public static PendingRequest Rent(FrameHeader header, ReadOnlySpan<byte> payload, bool idempotent, TimeSpan timeout)
    {
        if (!s_pool.TryDequeue(out var request))
        {
            request = new PendingRequest();
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }

        request.Prepare(header, payload, idempotent, timeout);
        return request;
    }

    /// <summary>Fails the request with <see cref="OperationCanceledException"/> when <paramref name="token"/> is cancelled.</summary>
    public void CancelWith(CancellationToken token)
    {
        if (token.CanBeCanceled)
        {
            _cancellation = token.UnsafeRegister(static (state, t) => ((PendingRequest)state!).TrySetException(new OperationCanceledException("The request was cancelled; its answer, if it comes, is dropped.", null, t)), this);
        }
    }

    public bool TrySetResult(byte[] answer)
    {
        if (!TryComplete())
        {
            return false;
        }

        _core.SetResult(answer);
        return true;
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

    public byte[] GetResult(short token)
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

    private void Prepare(FrameHeader header, ReadOnlySpan<byte> payload, bool idempotent, TimeSpan timeout)
    {
        _frameLength = header.Length + payload.Length;
        if (_frame.Length < _frameLength)
        {
            if (_frame.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_frame);
            }

            _frame = ArrayPool<byte>.Shared.Rent(_frameLength);
        }

        header.Write(_frame, payload.Length);
        payload.CopyTo(_frame.AsSpan(header.Length));
        Idempotent = idempotent;
        Timeout = timeout;
        Deadline = timeout == System.Threading.Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        GracefulResends = 0;
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
        if (_mayBeLate || _frame.Length > 64 * 1024)
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
