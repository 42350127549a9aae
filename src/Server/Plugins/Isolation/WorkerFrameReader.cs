using System.Net.Sockets;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>Reads frames from the other end, as many per receive as arrived; a frame's payload is valid until the next <see cref="Fill"/>.</summary>
internal sealed class WorkerFrameReader(Socket socket)
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>Receives more bytes (blocking, unless the socket is not); false when the other end closed or the socket failed.</summary>
    public bool Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        try
        {
            var received = socket.Receive(_buffer.AsSpan(_end), SocketFlags.None, out var error);
            if (error != SocketError.Success)
            {
                // A non-blocking socket (an epoll reactor's channel) with nothing to read yet is not closed.
                return error == SocketError.WouldBlock && !socket.Blocking;
            }

            _end += received;
            return received > 0;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>The next whole frame already received, if any.</summary>
    public bool TryRead(out byte kind, out uint id, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (!WorkerFrames.TryReadHeader(_buffer.AsSpan(_start, _end - _start), out var length, out id, out kind))
        {
            return false;
        }

        if (length < 0)
        {
            throw new InvalidDataException($"a worker frame announced {length} bytes");
        }

        if (_end - _start - WorkerFrames.HeaderLength < length)
        {
            if (WorkerFrames.HeaderLength + length > _buffer.Length)
            {
                // Grown now so the next Fill can take the whole frame.
                var bigger = new byte[WorkerFrames.HeaderLength + length];
                _buffer.AsSpan(_start, _end - _start).CopyTo(bigger);
                _end -= _start;
                _start = 0;
                _buffer = bigger;
            }

            return false;
        }

        payload = _buffer.AsSpan(_start + WorkerFrames.HeaderLength, length);
        _start += WorkerFrames.HeaderLength + length;
        return true;
    }

    /// <summary>Receives until a whole frame is there; false if the other end closed first.</summary>
    public bool ReadBlocking(out byte kind, out uint id, out byte[] payload)
    {
        while (true)
        {
            if (TryRead(out kind, out id, out var span))
            {
                payload = span.ToArray();
                return true;
            }

            if (!Fill())
            {
                payload = [];
                return false;
            }
        }
    }
}
