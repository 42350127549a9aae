using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace PluggableNet.Server.Connections;

/// <summary>
/// The answers of one connection waiting to be sent: a contiguous pooled buffer that plugins write into
/// directly (it is the <see cref="IBufferWriter{T}"/> they see). Rented when the first answer is written and
/// returned as soon as everything is sent, so an idle connection holds no buffer.
/// </summary>
/// <remarks>
/// Positions handed out by <see cref="Position"/> are relative to the unsent data, so they stay valid while the
/// buffer compacts or grows underneath a plugin's writes.
/// </remarks>
internal sealed partial class OutputBuffer(int pendingLimit = int.MaxValue) : IBufferWriter<byte>
{
    private const int MinimumSize = 4096;

    private byte[]? _buffer;
    private bool _pooled;
    private int _start;
    private int _end;

    // A send left bytes unsent (the kernel's buffer for this peer is full) and they are not all sent yet.
    private bool _peerBehind;

    /// <summary>Bytes written and not yet sent, spliced payloads included.</summary>
    public int Length => _end - _start + _splicedBytes;

    /// <summary>Bytes of the array held, 0 when none is.</summary>
    public int Capacity => _buffer?.Length ?? 0;

    /// <summary>A position to come back to (a reserved header, a point to truncate to); never before a splice.</summary>
    public int Position => _end - _start;

    /// <summary>Everything unsent, as one span: only while nothing is spliced (a transport that does not gather).</summary>
    public ReadOnlySpan<byte> Pending => _buffer is null ? default : _buffer.AsSpan(_start, _end - _start);

    public ReadOnlyMemory<byte> PendingMemory => _buffer is null ? default : _buffer.AsMemory(_start, _end - _start);

    public Span<byte> Slice(int position, int length) => _buffer!.AsSpan(_start + position, length);

    /// <summary>Reserves <paramref name="count"/> bytes to fill in later (a header whose length is not known yet).</summary>
    public int Reserve(int count)
    {
        var position = Position;
        GetSpan(count);
        _end += count;
        return position;
    }

    /// <summary>Drops everything written after <paramref name="position"/> (a failed or oversized answer).</summary>
    public void Truncate(int position) => _end = _start + position;

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer!.Length - _end))
        {
            ThrowHelper.ThrowAdvancedTooFar();
        }

        _end += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _buffer.AsMemory(_end);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _buffer.AsSpan(_end);
    }

    /// <summary>Marks <paramref name="count"/> bytes as sent; returns the buffer to the pool once all is sent.</summary>
    public void Consume(int count)
    {
        if (_spliceCount > 0)
        {
            ConsumeSpliced(count);
        }
        else
        {
            _start += count;
            _inlineConsumed += count;
        }

        _peerBehind = Length != 0;
        if (!_peerBehind)
        {
            Release();
        }
    }

    public void Release()
    {
        ReleaseSplices();
        var buffer = _buffer;
        _buffer = null;
        _start = 0;
        _end = 0;
        _peerBehind = false;
        if (buffer is null)
        {
            return;
        }

        if (_pooled)
        {
            ConnectionBuffers.Return(buffer);
        }
        else
        {
            ConnectionBuffers.Drop(buffer);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureCapacity(int sizeHint)
    {
        if (sizeHint < 1)
        {
            sizeHint = 1;
        }

        if (_buffer is null || _buffer.Length - _end < sizeHint)
        {
            Grow(sizeHint);
        }
    }

    /// <remarks>
    /// Up to <c>pendingLimit</c> (<c>Limits:MaxPendingWriteBytes</c>) the buffer doubles, in pooled arrays. Past it,
    /// it holds the limit plus the answer being written, and grows only by what that answer needs (an eighth more,
    /// so a plugin writing in small pieces is not quadratic), in an array of its own that is dropped, not pooled,
    /// once sent: a peer that stops reading holds the limit plus one answer, never the next doubling.
    /// Once the peer is behind (a send left bytes the kernel would not take) by more than 128 KiB or a thirty-second
    /// of the limit, the buffer goes straight to that final size: doubling on would leave every intermediate array
    /// resident (pooled, or garbage until a full collection), measured at 2 × the limit per non-reader at a 4 MiB
    /// limit. An answer past the limit to a peer that keeps up takes a pooled array of at most 128 KiB when that
    /// stays within the limit plus the answer and an eighth, instead of a new array per answer.
    /// </remarks>
    private void Grow(int sizeHint)
    {
        var length = _end - _start;
        if (_buffer is null)
        {
            var first = Math.Max(sizeHint, MinimumSize);
            Allocate(first, first <= Math.Max(pendingLimit, MinimumSize));
            return;
        }

        var needed = (long)length + sizeHint;
        if (needed <= _buffer.Length)
        {
            // Enough room once the sent prefix is dropped.
            _buffer.AsSpan(_start, length).CopyTo(_buffer);
        }
        else
        {
            var previous = _buffer;
            var pooled = _pooled;
            var (size, pooledNext) = NextArray(length, needed, sizeHint);
            Allocate(size, pooledNext);
            previous.AsSpan(_start, length).CopyTo(_buffer);
            if (pooled)
            {
                ConnectionBuffers.Return(previous);
            }
            else
            {
                ConnectionBuffers.Drop(previous);
            }
        }

        _start = 0;
        _end = length;
    }

    /// <summary>The size of the array that replaces a full one, and whether it comes from the pool.</summary>
    private (int Size, bool Pooled) NextArray(int length, long needed, int sizeHint)
    {
        if (needed <= pendingLimit && (!_peerBehind || length <= Math.Max(ConnectionBuffers.LargeThreshold, pendingLimit / 32)))
        {
            // Below the limit: doubling, in pooled arrays.
            return ((int)Math.Min(Math.Max(needed, 2L * _buffer!.Length), pendingLimit), true);
        }

        // What a peer that stops reading may hold (docs/limits.md): the limit plus this write, an eighth more.
        if (!_peerBehind && needed <= ConnectionBuffers.LargeThreshold
            && BitOperations.RoundUpToPowerOf2((uint)needed) <= ((long)pendingLimit + sizeHint) * 9 / 8)
        {
            // An answer past the limit to a peer that keeps up: a pooled array, still within that, reused.
            return ((int)needed, true);
        }

        // Past the limit, or behind (the kernel refused part of the last send) by more than the doubling allows:
        // straight to the bound, never through the doublings in between, each of which a peer that stops reading
        // would leave resident, in the pool or as garbage, until a full collection.
        var target = needed > pendingLimit ? needed : (long)pendingLimit + sizeHint;
        return ((int)Math.Min(Array.MaxLength, target + (target / 8)), false);
    }

    [MemberNotNull(nameof(_buffer))]
    private void Allocate(int size, bool pooled)
    {
        _pooled = pooled;
        _buffer = pooled ? ConnectionBuffers.Rent(size) : ConnectionBuffers.AllocateUnpooled(size);
    }
}
