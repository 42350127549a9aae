using System.Collections.Concurrent;
using System.Buffers;

namespace PluggableNet.Server.Sessions;

/// <summary>
/// One pushed message, copied once and shared by every connection it is queued for (Netty's reference-counted
/// buffer in a channel group): a broadcast to N members holds the payload once, not N times. The last release
/// returns the array and the object to their pools, so a steady stream of pushes allocates nothing.
/// </summary>
internal sealed class SharedPayload
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<SharedPayload> s_pool = new();

    private byte[] _array = [];
    private int _references;

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

    /// <summary>A copy of <paramref name="payload"/> with <paramref name="references"/> holders (at least 1).</summary>
    public static SharedPayload Copy(ReadOnlySpan<byte> payload, int references)
    {
        if (!s_pool.TryDequeue(out var shared))
        {
            shared = new SharedPayload();
        }

        shared._array = payload.Length == 0 ? [] : ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.CopyTo(shared._array);
        shared.Length = payload.Length;
        shared._references = Math.Max(references, 1);
        return shared;
    }

    /// <summary>Takes back <paramref name="count"/> holders a broadcast reserved and did not use.</summary>
    public void Release(int count = 1)
    {
        if (count <= 0 || Interlocked.Add(ref _references, -count) != 0)
        {
            return;
        }

        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }

        _array = [];
        Length = 0;
        if (s_pool.Count < MaxPooled)
        {
            s_pool.Enqueue(this);
        }
    }
}
