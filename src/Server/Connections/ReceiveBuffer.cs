using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace PluggableNet.Server.Connections;

/// <summary>
/// The bytes of one connection received and not yet consumed by a complete frame, the twin of
/// <see cref="OutputBuffer"/>: a pooled array rented when data arrives and returned as soon as it is empty, so an
/// idle connection holds no buffer.
/// </summary>
/// <remarks>
/// Memory follows the bytes that actually arrived, never the length a header announces, and each byte of a frame
/// larger than the array is copied at most once. When a frame fills the array, it moves into an array of the frame's
/// size if that costs at most twice what arrived plus one receive buffer. Until then the full array stays where it
/// is, as the first of a chain of <see cref="ReceiveSegments"/>, each about as large as what arrived before it,
/// received into and never moved; once the frame's array is allowed, the chain is copied into it and the rest of the
/// frame is received in place, so about half of a large frame is never copied.
/// </remarks>
internal sealed class ReceiveBuffer(int initialSize)
{
    private byte[]? _buffer;
    private int _start;
    private int _end;

    // While a large frame arrives in segments: _buffer is full (_end is its length) and holds the frame's start,
    // header included; the rest is in _segments, _segmentBytes of it received. The frame never completes there.
    private bool _segmented;
    private int _segmentBytes;
    private ReceiveSegments? _segments;

    /// <summary>Bytes received and not consumed.</summary>
    public int Length => _end - _start + _segmentBytes;

    public bool IsEmpty => _start == _end;

    /// <summary>Bytes of the rented arrays, 0 when none is held.</summary>
    public int Capacity => (_buffer?.Length ?? 0) + (_segments?.Capacity ?? 0);

    /// <summary>Bytes copied from one place to another so far (compaction, growth): what tests count.</summary>
    public long BytesMoved { get; private set; }

    /// <summary>
    /// The unconsumed bytes, oldest first. While a large frame arrives in segments, only those of the first array:
    /// the frame's start, header included, which is all a parser needs of a frame not yet complete
    /// (<see cref="Length"/> counts them all).
    /// </summary>
    public ReadOnlySpan<byte> Data => _buffer is null ? default : _buffer.AsSpan(_start, _end - _start);

    /// <summary>
    /// Where the next receive writes; never empty. <paramref name="frameLength"/> is the frame being received
    /// (header included) when its header is known, 0 otherwise: growth stops there.
    /// </summary>
    public Span<byte> GetSpan(int frameLength)
    {
        var buffer = _buffer;
        return buffer is not null && HasRoom(buffer) ? buffer.AsSpan(_end) : MakeRoom(frameLength).AsSpan();
    }

    /// <inheritdoc cref="GetSpan"/>
    public Memory<byte> GetMemory(int frameLength)
    {
        var buffer = _buffer;
        return buffer is not null && HasRoom(buffer) ? buffer.AsMemory(_end) : MakeRoom(frameLength).AsMemory();
    }

    /// <summary>Takes <paramref name="count"/> bytes written into the span or memory handed out last.</summary>
    public void Advance(int count)
    {
        if (_segmented)
        {
            _segmentBytes += count;
        }
        else
        {
            _end += count;
        }
    }

    /// <summary>Drops <paramref name="count"/> consumed bytes from the front.</summary>
    public void Consume(int count)
    {
        Debug.Assert(!_segmented, "A frame arriving in segments is never complete, so nothing is consumed.");
        _start += count;
    }

    /// <summary>Drops everything buffered (after a protocol error nothing more is read).</summary>
    public void Clear()
    {
        ReturnSegments();
        _start = _end;
    }

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
        ReturnSegments();
        var buffer = _buffer;
        _buffer = null;
        _start = 0;
        _end = 0;
        if (buffer is not null)
        {
            ConnectionBuffers.Return(buffer);
        }
    }

    // The hot path: a quarter of the array free, or any free space at all when nothing consumed is in front.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool HasRoom(byte[] buffer)
    {
        var free = buffer.Length - _end;
        return free > 0 && (free >= buffer.Length / 4 || _start == 0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ArraySegment<byte> MakeRoom(int frameLength)
    {
        if (_buffer is null)
        {
            _buffer = ConnectionBuffers.Rent(initialSize);
            return _buffer;
        }

        if (_segmented)
        {
            return _segmentBytes < _segments!.Length ? _segments.Free(_segmentBytes) : Grow(frameLength);
        }

        if (frameLength > _buffer.Length)
        {
            // The frame cannot fit in this array even moved to its front: fill it, then its bytes move once or never.
            return _end < _buffer.Length ? new ArraySegment<byte>(_buffer, _end, _buffer.Length - _end) : Grow(frameLength);
        }

        var length = _end - _start;
        if (length <= _buffer.Length - (_buffer.Length / 4) || (frameLength > 0 && _start > 0))
        {
            // A quarter or more is consumed prefix, or the frame fits once at the front: moving it there is enough.
            MoveTo(_buffer);
        }
        else
        {
            var size = (int)Math.Min(Math.Max(frameLength, length + 1), (long)_buffer.Length * 2);
            MoveTo(ConnectionBuffers.Rent(Math.Max(size, length + 1)));
        }

        return new ArraySegment<byte>(_buffer, _end, _buffer.Length - _end);
    }

    /// <summary>The array, or the last segment, is full and the frame is larger than what it holds.</summary>
    private ArraySegment<byte> Grow(int frameLength)
    {
        var held = Length;
        if (frameLength - held <= (long)held + initialSize)
        {
            // The frame's array costs at most twice what arrived plus one receive buffer: everything moves into it once.
            var frame = ConnectionBuffers.Rent(frameLength);
            var first = _end - _start;
            if (_segmented)
            {
                _segments!.CopyTo(frame.AsSpan(first), _segmentBytes);
                BytesMoved += _segmentBytes;
                ReturnSegments();
            }

            MoveTo(frame);
            _end = held;
            return new ArraySegment<byte>(frame, held, frame.Length - held);
        }

        // Too early for the frame's array: a segment as large as what arrived, or what brings it to half the frame
        // (where the frame's array is allowed), whichever is smaller. Either is less than the frame still lacks.
        var halfway = (frameLength - initialSize + 1) / 2;
        var size = Math.Min(Math.Max(held, initialSize), Math.Max(halfway - held, initialSize));
        _segments ??= new ReceiveSegments();
        _segments.Add(ConnectionBuffers.Rent(size), size);
        _segmented = true;
        return _segments.Free(_segmentBytes);
    }

    /// <summary>Moves the unconsumed bytes of the (first) array to the front of <paramref name="destination"/>.</summary>
    private void MoveTo(byte[] destination)
    {
        var buffer = _buffer!;
        var length = _end - _start;
        buffer.AsSpan(_start, length).CopyTo(destination);
        BytesMoved += length;
        if (!ReferenceEquals(buffer, destination))
        {
            ConnectionBuffers.Return(buffer);
            _buffer = destination;
        }

        _start = 0;
        _end = length;
    }

    private void ReturnSegments()
    {
        if (_segmented)
        {
            _segments!.Return();
            _segmented = false;
            _segmentBytes = 0;
        }
    }
}
