namespace PluggableNet.Server.Connections;

/// <summary>
/// The arrays after the first that hold a large frame while it arrives, so that growing the receive buffer does not
/// move bytes already received (<see cref="ReceiveBuffer"/>): filled in order and never moved, copied once into an
/// array of the frame's size, then returned. Its connection keeps it for the next large frame.
/// </summary>
internal sealed class ReceiveSegments
{
    // Each array with the part of it in use: a pooled array may be longer than the segment asked for.
    private readonly List<ArraySegment<byte>> _segments = [];

    /// <summary>Bytes the segments can hold, the sum of their usable parts.</summary>
    public int Length { get; private set; }

    /// <summary>Bytes of the arrays held, pool rounding included.</summary>
    public int Capacity { get; private set; }

    /// <summary>Adds <paramref name="array"/>, of which the first <paramref name="length"/> bytes are used.</summary>
    public void Add(byte[] array, int length)
    {
        _segments.Add(new ArraySegment<byte>(array, 0, length));
        Length += length;
        Capacity += array.Length;
    }

    /// <summary>The unfilled part of the last segment, once <paramref name="filled"/> bytes were received into them.</summary>
    public ArraySegment<byte> Free(int filled)
    {
        var last = _segments[^1];
        var used = filled - (Length - last.Count);
        return last.Slice(used);
    }

    /// <summary>Copies the first <paramref name="filled"/> bytes, in order, to <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination, int filled)
    {
        foreach (var segment in _segments)
        {
            var count = Math.Min(segment.Count, filled);
            segment.AsSpan(0, count).CopyTo(destination);
            destination = destination[count..];
            filled -= count;
        }
    }

    /// <summary>Returns every array to the pool.</summary>
    public void Return()
    {
        foreach (var segment in _segments)
        {
            ConnectionBuffers.Return(segment.Array!);
        }

        _segments.Clear();
        Length = 0;
        Capacity = 0;
    }
}
