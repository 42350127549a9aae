using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace PluggableNet.Server.Sessions;

/// <summary>
/// One pushed message, copied once and shared by every connection it is queued for (Netty's reference-counted
/// buffer in a channel group): a broadcast to N members holds the payload once, not N times. The last release
/// returns the array and the object to their pools, so a steady stream of pushes allocates nothing. A payload of at
/// least <see cref="SpliceMinimum"/> bytes is pinned while held, so a transport that gathers its sends (epoll's
/// sendmsg) sends it to every member from here, never copying it into each member's output.
/// </summary>
internal sealed unsafe class SharedPayload
{
    /// <summary>
    /// From this size a push is sent from the shared buffer instead of copied into each member's output. Below it
    /// the copy costs less than an iovec entry, a pin and the bookkeeping: see bench/results/fanout.
    /// </summary>
    public const int SpliceMinimum = 4096;

    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<SharedPayload> s_pool = new();

    private byte[] _array = [];
    private int _references;
    private GCHandle _pin;

    public int Length { get; private set; }

    /// <summary>The payload's first byte, pinned while any holder remains; null below <see cref="SpliceMinimum"/>.</summary>
    public byte* Pointer { get; private set; }

    /// <summary>Whether <see cref="Pointer"/> is set: the payload may be spliced into an output (<c>OutputBuffer.Splice</c>).</summary>
    public bool IsPinned => _pin.IsAllocated;

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
        if (payload.Length > 0 && payload.Length >= SpliceMinimum)
        {
            // A handle, not a heap object: pinned for as long as any member still has it to send.
            shared._pin = GCHandle.Alloc(shared._array, GCHandleType.Pinned);
            shared.Pointer = (byte*)shared._pin.AddrOfPinnedObject();
        }

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

        if (_pin.IsAllocated)
        {
            _pin.Free();
            Pointer = null;
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
