namespace PluggableNet.Host.Connections;

/// <summary>
/// The bytes of one connection received and not yet consumed by a complete frame, the twin of
/// <see cref="OutputBuffer"/>: a pooled array rented when data arrives and returned as soon as it is empty, so an
/// idle connection holds no buffer.
/// </summary>
internal sealed class ReceiveBuffer(int initialSize)
{
    private byte[]? _buffer;
    private int _start;
    private int _end;

    /// <summary>Bytes received and not consumed.</summary>
    public int Length => _end - _start;

    public bool IsEmpty => _start == _end;

    /// <summary>Bytes of the rented array, 0 when none is held.</summary>
    public int Capacity => _buffer?.Length ?? 0;

    /// <summary>The unconsumed bytes, oldest first.</summary>
    public ReadOnlySpan<byte> Data => _buffer is null ? default : _buffer.AsSpan(_start, _end - _start);

    /// <summary>
    /// Where the next receive writes; never empty. <paramref name="frameLength"/> is the frame being received
    /// (header included) when its header is known, 0 otherwise: growth stops there.
    /// </summary>
    public Span<byte> GetSpan(int frameLength)
    {
        EnsureSpace(frameLength);
        return _buffer.AsSpan(_end);
    }

    /// <inheritdoc cref="GetSpan"/>
    public Memory<byte> GetMemory(int frameLength)
    {
        EnsureSpace(frameLength);
        return _buffer.AsMemory(_end);
    }

    /// <summary>Takes <paramref name="count"/> bytes written into the span or memory handed out last.</summary>
    public void Advance(int count) => _end += count;

    /// <summary>Drops <paramref name="count"/> consumed bytes from the front.</summary>
    public void Consume(int count) => _start += count;

    /// <summary>Drops everything buffered (after a protocol error nothing more is read).</summary>
    public void Clear() => _start = _end;

    /// <summary>Returns the buffer to the pool if nothing is buffered.</summary>
    public void ReleaseIfEmpty()
    {
        if (_start == _end)
        {
            Release();
        }
    }

    /// <summary>Returns the buffer to the pool, dropping whatever it holds.</summary>
    public void Release()
    {
        var buffer = _buffer;
        _buffer = null;
        _start = 0;
        _end = 0;
        if (buffer is not null)
        {
            ConnectionBuffers.Return(buffer);
        }
    }

    /// <summary>
    /// Room for the next receive. Memory follows the bytes that actually arrived, never the length a header
    /// announces: a full buffer doubles, up to the frame being received, so a peer holds at most twice what it sent.
    /// </summary>
    private void EnsureSpace(int frameLength)
    {
        if (_buffer is null)
        {
            _buffer = ConnectionBuffers.Rent(initialSize);
            return;
        }

        var free = _buffer.Length - _end;
        if (free > 0 && (free >= _buffer.Length / 4 || _start == 0))
        {
            return;
        }

        var length = _end - _start;
        if (length <= _buffer.Length - (_buffer.Length / 4))
        {
            // A quarter or more is consumed prefix: moving the partial frame to the front is enough.
            _buffer.AsSpan(_start, length).CopyTo(_buffer);
        }
        else
        {
            var size = (int)Math.Min(Math.Max(frameLength, length + 1), (long)_buffer.Length * 2);
            var larger = ConnectionBuffers.Rent(Math.Max(size, length + 1));
            _buffer.AsSpan(_start, length).CopyTo(larger);
            ConnectionBuffers.Return(_buffer);
            _buffer = larger;
        }

        _start = 0;
        _end = length;
    }
}
