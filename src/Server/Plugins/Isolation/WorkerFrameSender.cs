using System.Net.Sockets;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// Queues frames for the other end and sends them with as few writes as possible: whoever finds nobody sending
/// becomes the sender and sends everything queued until the queue is empty, so frames that arrive meanwhile (other
/// connections' requests, other answers) go out together in its next write.
/// </summary>
/// <remarks>
/// With <c>whileBlocked</c> (an epoll reactor's channel, a non-blocking socket the reactor also reads) a send that
/// would block reads the other end's answers meanwhile: it may be blocked sending them, waiting for us to read.
/// </remarks>
internal sealed class WorkerFrameSender(Socket socket, IsolationCounters? counters = null, Func<bool>? whileBlocked = null)
{
    private readonly Lock _lock = new();
    private byte[] _queued = new byte[64 * 1024];
    private byte[] _spare = new byte[64 * 1024];
    private int _length;
    private bool _sending;
    private bool _broken;

    /// <summary>Whether a send failed: the other end is gone.</summary>
    public bool IsBroken => Volatile.Read(ref _broken);

    /// <summary>Queues one frame; false if the other end is gone.</summary>
    public bool Append(byte kind, uint id, ReadOnlySpan<byte> payload)
    {
        lock (_lock)
        {
            if (_broken)
            {
                return false;
            }

            var needed = _length + WorkerFrames.HeaderLength + payload.Length;
            if (needed > _queued.Length)
            {
                Array.Resize(ref _queued, Math.Max(needed, _queued.Length * 2));
            }

            WorkerFrames.WriteHeader(_queued.AsSpan(_length), payload.Length, id, kind);
            payload.CopyTo(_queued.AsSpan(_length + WorkerFrames.HeaderLength));
            _length = needed;
            return true;
        }
    }

    /// <summary>Sends what is queued unless another thread is sending it already; false if the other end is gone.</summary>
    public bool Flush()
    {
        lock (_lock)
        {
            if (_sending || _broken)
            {
                return !_broken;
            }

            _sending = true;
        }

        while (true)
        {
            byte[] batch;
            int length;
            lock (_lock)
            {
                if (_length == 0)
                {
                    _sending = false;
                    return true;
                }

                batch = _queued;
                length = _length;
                _queued = _spare.Length >= batch.Length / 2 ? _spare : new byte[batch.Length];
                _spare = batch;
                _length = 0;
            }

            try
            {
                counters?.RequestsWritten();
                var sent = 0;
                while (sent < length)
                {
                    sent += SendSome(batch.AsSpan(sent, length - sent));
                }
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                lock (_lock)
                {
                    _broken = true;
                    _sending = false;
                    _length = 0;
                }

                return false;
            }
        }
    }

    private int SendSome(ReadOnlySpan<byte> bytes)
    {
        var sent = socket.Send(bytes, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock && whileBlocked is not null)
        {
            counters?.SendBlocked();
            if (!socket.Poll(1000, SelectMode.SelectWrite) && !whileBlocked())
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            return 0;
        }

        return error == SocketError.Success ? sent : throw new SocketException((int)error);
    }
}
