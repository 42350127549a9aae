using System.Buffers;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Client;

/// <summary>
/// Cuts v2 frames off the front of the bytes a connection received. Checks each announced length before anything
/// waits for (or holds) the payload: an ANSWER up to the client's <c>MaxAnswerBytes</c>, a control frame up to 16 KiB;
/// a PUSH (not taken by this client) or a frame of an unknown type is dropped as its bytes arrive, so it costs no
/// memory whatever it announces. The one piece of state is how much of such a frame is still to drop.
/// </summary>
internal struct V2FrameReader
{
    /// <summary>The largest control frame (ERROR, PING, PONG, GOAWAY, SETTINGS) the specification allows (docs/protocol.md, "Limits that apply to a v2 connection").</summary>
    public const int MaxControlBytes = 16 * 1024;

    private long _skipping;

    /// <summary>
    /// Reads the next frame the client acts on at the start of <paramref name="buffer"/> and moves
    /// <paramref name="buffer"/> past it. <see cref="V2FrameStatus.NeedMore"/> leaves the buffer at the frame's start
    /// (or past the bytes dropped); <see cref="V2FrameStatus.Invalid"/> sets <paramref name="error"/>.
    /// </summary>
    public V2FrameStatus TryRead(ref ReadOnlySequence<byte> buffer, int maxAnswerBytes, out FrameHeader header, out ReadOnlySequence<byte> payload, out string? error)
    {
        header = default;
        payload = default;
        error = null;
        Span<byte> copy = stackalloc byte[FrameHeader.Size];
        while (true)
        {
            if (_skipping > 0)
            {
                var dropped = Math.Min(_skipping, buffer.Length);
                buffer = buffer.Slice(dropped);
                _skipping -= dropped;
                if (_skipping > 0)
                {
                    return V2FrameStatus.NeedMore;
                }
            }

            if (buffer.Length < FrameHeader.Size)
            {
                return V2FrameStatus.NeedMore;
            }

            // A header split across two segments is copied; ten bytes.
            var first = buffer.FirstSpan;
            if (first.Length >= FrameHeader.Size)
            {
                FrameHeader.TryRead(first, out header);
            }
            else
            {
                buffer.Slice(0, FrameHeader.Size).CopyTo(copy);
                FrameHeader.TryRead(copy, out header);
            }

            switch (header.Type)
            {
                case FrameType.Answer when header.Length > (uint)maxAnswerBytes:
                    error = $"an ANSWER for request {header.Id} announces {header.Length} bytes, above MaxAnswerBytes {maxAnswerBytes}";
                    return V2FrameStatus.Invalid;
                case FrameType.Error or FrameType.Ping or FrameType.Pong or FrameType.GoAway or FrameType.Settings when header.Length > MaxControlBytes:
                    error = $"a {header.Type} frame announces {header.Length} bytes, above the {MaxControlBytes} a control frame may have";
                    return V2FrameStatus.Invalid;
                case FrameType.Request or FrameType.Cancel:
                    error = $"the server sent a {header.Type} frame, which only a client sends";
                    return V2FrameStatus.Invalid;
                case FrameType.Answer or FrameType.Error or FrameType.Ping or FrameType.Pong or FrameType.GoAway or FrameType.Settings:
                    if (buffer.Length - FrameHeader.Size < header.Length)
                    {
                        return V2FrameStatus.NeedMore;
                    }

                    payload = buffer.Slice(FrameHeader.Size, header.Length);
                    buffer = buffer.Slice(payload.End);
                    return V2FrameStatus.Frame;
                default:
                    // PUSH or a type this client does not know: dropped as it arrives.
                    buffer = buffer.Slice(FrameHeader.Size);
                    _skipping = header.Length;
                    break;
            }
        }
    }
}
