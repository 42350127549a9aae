using System.Buffers;
using System.Runtime.CompilerServices;

namespace PluggableNet.Host.Connections;

/// <summary>
/// The answers of one connection waiting to be sent: a contiguous pooled buffer that plugins write into
/// directly (it is the <see cref="IBufferWriter{T}"/> they see). Rented when the first answer is written and
/// returned as soon as everything is sent, so an idle connection holds no buffer.
/// </summary>
/// <remarks>
/// Positions handed out by <see cref="Position"/> are relative to the unsent data, so they stay valid while the
/// buffer compacts or grows underneath a plugin's writes.
/// </remarks>
internal sealed class OutputBuffer : IBufferWriter<byte>
{
    private const int MinimumSize = 4096;

    private byte[]? _buffer;
    private int _start;
    private int _end;

    /// <summary>Bytes written and not yet sent.</summary>
    public int Length => _end - _start;

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
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
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

    private void Grow(int sizeHint)
    {
        var length = _end - _start;
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, MinimumSize));
            return;
        }

        var needed = length + sizeHint;
        if (needed <= _buffer.Length)
        {
            // Enough room once the sent prefix is dropped.
            _buffer.AsSpan(_start, length).CopyTo(_buffer);
        }
        else
        {
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_buffer.Length * 2)));
            _buffer.AsSpan(_start, length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        _start = 0;
        _end = length;
    }
}
