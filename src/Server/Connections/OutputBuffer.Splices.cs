using System.Diagnostics;
using PluggableNet.Server.Sessions;

namespace PluggableNet.Server.Connections;

/// <summary>
/// Payloads sent from where they are shared instead of copied in: a broadcast's payload is spliced into every
/// member's output between the bytes written around it (its frame header before, later answers after), and a
/// transport that gathers its sends (<see cref="Gather"/>, sendmsg) sends it from the one shared buffer. A splice's
/// reference is released once it is sent, or when the output is dropped.
/// </summary>
internal sealed partial class OutputBuffer
{
    private SplicedPayload[] _splices = [];
    private int _spliceHead;
    private int _spliceCount;
    private int _splicedBytes;

    // Inline (written, not spliced) bytes consumed since the output was last empty: where a splice sits is counted in it.
    private long _inlineConsumed;

    /// <summary>Whether any payload is spliced: <see cref="Pending"/> then holds only the bytes before the first.</summary>
    public bool HasSplices => _spliceCount > 0;

    /// <summary>
    /// Appends <paramref name="payload"/> (pinned: <see cref="SharedPayload.Pointer"/>) after everything written so
    /// far, taking over the caller's reference.
    /// </summary>
    public void Splice(SharedPayload payload)
    {
        Debug.Assert(payload.IsPinned, "only a pinned payload is sent from where it is");
        if (_spliceCount == _splices.Length)
        {
            GrowSplices();
        }

        _splices[(_spliceHead + _spliceCount) % _splices.Length] = new SplicedPayload(payload, _inlineConsumed + (_end - _start));
        _spliceCount++;
        _splicedBytes += payload.Length;
    }

    /// <summary>
    /// What to send next, in order, as at most <paramref name="segments"/>.Length pieces: offsets into
    /// <paramref name="inline"/> (which the caller pins) or pointers into pinned shared payloads. Returns the count.
    /// </summary>
    public unsafe int Gather(Span<OutputSegment> segments, out byte[]? inline)
    {
        inline = _buffer;
        var count = 0;
        var cursor = _start;
        for (var i = 0; i < _spliceCount && count < segments.Length; i++)
        {
            ref var splice = ref _splices[(_spliceHead + i) % _splices.Length];
            var at = _start + (int)(splice.At - _inlineConsumed);
            if (at > cursor)
            {
                segments[count++] = new OutputSegment(null, cursor, at - cursor);
                cursor = at;
                if (count == segments.Length)
                {
                    return count;
                }
            }

            segments[count++] = new OutputSegment(splice.Payload.Pointer, splice.Sent, splice.Payload.Length - splice.Sent);
        }

        if (_end > cursor && count < segments.Length)
        {
            segments[count++] = new OutputSegment(null, cursor, _end - cursor);
        }

        return count;
    }

    /// <summary>Consumes <paramref name="count"/> bytes in send order: inline up to the next splice, then into it.</summary>
    private void ConsumeSpliced(int count)
    {
        while (count > 0)
        {
            if (_spliceCount == 0)
            {
                _start += count;
                _inlineConsumed += count;
                return;
            }

            ref var splice = ref _splices[_spliceHead];
            var before = (int)Math.Min(count, splice.At - _inlineConsumed);
            _start += before;
            _inlineConsumed += before;
            count -= before;
            if (count == 0)
            {
                return;
            }

            var taken = Math.Min(count, splice.Payload.Length - splice.Sent);
            splice.Sent += taken;
            _splicedBytes -= taken;
            count -= taken;
            if (splice.Sent == splice.Payload.Length)
            {
                splice.Payload.Release();
                splice = default;
                _spliceHead = (_spliceHead + 1) % _splices.Length;
                _spliceCount--;
            }
        }
    }

    private void ReleaseSplices()
    {
        for (; _spliceCount > 0; _spliceCount--)
        {
            ref var splice = ref _splices[_spliceHead];
            splice.Payload.Release();
            splice = default;
            _spliceHead = (_spliceHead + 1) % _splices.Length;
        }

        _spliceHead = 0;
        _splicedBytes = 0;
        _inlineConsumed = 0;
    }

    /// <summary>Doubles the ring, in order from its head (rare: a connection's backlog of pushes grows once).</summary>
    private void GrowSplices()
    {
        var grown = new SplicedPayload[Math.Max(8, _splices.Length * 2)];
        for (var i = 0; i < _spliceCount; i++)
        {
            grown[i] = _splices[(_spliceHead + i) % _splices.Length];
        }

        _splices = grown;
        _spliceHead = 0;
    }

    /// <summary>A payload to send after the inline byte at <see cref="At"/> (counted like <c>_inlineConsumed</c>), and how much of it is sent.</summary>
    private struct SplicedPayload(SharedPayload payload, long at)
    {
        public readonly SharedPayload Payload = payload;
        public readonly long At = at;
        public int Sent;
    }
}
