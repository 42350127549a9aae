using System.Buffers;
using System.Diagnostics.CodeAnalysis;
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
internal sealed class OutputBuffer(int pendingLimit = int.MaxValue) : IBufferWriter<byte>
{
    private const int MinimumSize = 4096;

    private byte[]? _buffer;
    private bool _pooled;
    private int _start;
    private int _end;

    /// <summary>Bytes written and not yet sent.</summary>
    public int Length => _end - _start;

    /// <summary>Bytes of the array held, 0 when none is.</summary>
    public int Capacity => _buffer?.Length ?? 0;

    /// <summary>A position to come back to (a reserved header, a point to truncate to).</summary>
    public int Position => _end - _start;

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
        _start += count;
        if (_start == _end)
        {
            Release();
        }
    }

    public void Release()
    {
        var buffer = _buffer;
        _buffer = null;
        _start = 0;
        _end = 0;
        if (buffer is not null && _pooled)
        {
            ConnectionBuffers.Return(buffer);
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
    /// </remarks>
    private void Grow(int sizeHint)
    {
        var length = _end - _start;
        if (_buffer is null)
        {
            Allocate(Math.Max(sizeHint, MinimumSize));
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
            var size = needed <= pendingLimit ? Math.Min(Math.Max(needed, 2L * _buffer.Length), pendingLimit) : needed + (needed / 8);
            var previous = _buffer;
            var pooled = _pooled;
            Allocate((int)Math.Min(Array.MaxLength, size));
            previous.AsSpan(_start, length).CopyTo(_buffer);
            if (pooled)
            {
                ConnectionBuffers.Return(previous);
            }
        }

        _start = 0;
        _end = length;
    }

    [MemberNotNull(nameof(_buffer))]
    private void Allocate(int size)
    {
        _pooled = size <= Math.Max(pendingLimit, MinimumSize);
        _buffer = _pooled ? ConnectionBuffers.Rent(size) : ConnectionBuffers.AllocateUnpooled(size);
    }
}
