using System.Buffers.Binary;
using System.Net.Sockets;
using PluggableNet.Server.Interop;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// One end of the hand-over channel: a connected Unix stream socket carrying length-prefixed frames, each optionally
/// with descriptors (<c>SCM_RIGHTS</c>). Blocking calls with a deadline, made off the thread pool's hot paths; the
/// messages are few and small, except a connection snapshot.
/// </summary>
internal sealed unsafe class HandOverChannel : IDisposable
{
    /// <summary>The largest frame accepted, checked before anything is allocated (a snapshot carries a partial frame).</summary>
    public const int MaxFrame = 16 * 1024 * 1024;

    private const int HeaderLength = 5;
    private static readonly TimeSpan s_slice = TimeSpan.FromMilliseconds(200);
    private readonly Socket _socket;
    private readonly Lock _sendLock = new();

    public HandOverChannel(Socket socket)
    {
        _socket = socket;
        _socket.Blocking = true;

        // Whatever .NET made of the descriptor (an accepted socket may start non-blocking): SO_RCVTIMEO bounds each wait.
        var flags = Libc.fcntl(Fd, Libc.F_GETFL, 0);
        if (flags >= 0 && (flags & Libc.O_NONBLOCK) != 0)
        {
            Libc.fcntl(Fd, Libc.F_SETFL, flags & ~Libc.O_NONBLOCK);
        }
    }

    /// <summary>The peer's pid, uid and gid as the kernel recorded them at connect (SO_PEERCRED).</summary>
    public Libc.PeerCredentials Peer
    {
        get
        {
            Libc.PeerCredentials credentials = default;
            var size = (uint)sizeof(Libc.PeerCredentials);
            return Libc.getsockopt(Fd, Libc.SOL_SOCKET, Libc.SO_PEERCRED, &credentials, &size) == 0
                ? credentials
                : throw new IOException($"SO_PEERCRED: {Libc.Describe(Libc.LastError)}");
        }
    }

    private int Fd => (int)_socket.SafeHandle.DangerousGetHandle();

    /// <summary>Connects to the channel at <paramref name="path"/> (the new host's side).</summary>
    public static HandOverChannel Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return new HandOverChannel(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one frame, with <paramref name="descriptors"/> (duplicated into the peer by the kernel; ours stay open).</summary>
    public void Send(HandOverKind kind, ReadOnlySpan<byte> payload, ReadOnlySpan<int> descriptors = default)
    {
        if (payload.Length + 1 > MaxFrame || descriptors.Length > Libc.MaxDescriptorsPerMessage)
        {
            throw new ArgumentException($"hand-over frame too large ({payload.Length} bytes, {descriptors.Length} descriptors)");
        }

        var frame = new byte[HeaderLength + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(payload.Length + 1));
        frame[4] = (byte)kind;
        payload.CopyTo(frame.AsSpan(HeaderLength));
        var controlLength = descriptors.IsEmpty ? 0 : Libc.ControlSpace(descriptors.Length * sizeof(int));
        var control = stackalloc byte[Math.Max(controlLength, 1)];
        if (controlLength > 0)
        {
            new Span<byte>(control, controlLength).Clear();
            var header = (Libc.ControlHeader*)control;
            header->Length = (nuint)Libc.ControlLength(descriptors.Length * sizeof(int));
            header->Level = Libc.SOL_SOCKET;
            header->Type = Libc.SCM_RIGHTS;
            descriptors.CopyTo(new Span<int>(control + Libc.ControlHeader.Size, descriptors.Length));
        }

        lock (_sendLock)
        {
            fixed (byte* data = frame)
            {
                var sent = 0;
                while (sent < frame.Length)
                {
                    var vector = new Libc.IoVector { Base = data + sent, Length = (nuint)(frame.Length - sent) };
                    var message = new Libc.MessageHeader { Vectors = &vector, VectorCount = 1 };
                    if (sent == 0 && controlLength > 0)
                    {
                        // The descriptors ride on the frame's first byte: the receiver gets them with the header.
                        message.Control = control;
                        message.ControlLength = (nuint)controlLength;
                    }

                    var result = Libc.sendmsg(Fd, &message, Libc.MSG_NOSIGNAL);
                    if (result < 0)
                    {
                        var errno = Libc.LastError;
                        if (errno == Libc.EINTR)
                        {
                            continue;
                        }

                        throw new IOException($"hand-over channel: sendmsg failed: {Libc.Describe(errno)}");
                    }

                    sent += (int)result;
                }
            }
        }
    }

    /// <summary>
    /// Receives one frame within <paramref name="timeout"/>. Throws <see cref="TimeoutException"/> when nothing whole
    /// came, <see cref="EndOfStreamException"/> when the peer closed (or died), <see cref="InvalidDataException"/> for a
    /// frame that breaks the protocol (any descriptors received are closed first).
    /// </summary>
    public HandOverMessage Receive(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var descriptors = new List<int>();
        try
        {
            var header = new byte[HeaderLength];
            ReadExactly(header, descriptors, deadline, cancellationToken);
            var length = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (length is 0 or > MaxFrame)
            {
                throw new InvalidDataException($"hand-over frame of {length} bytes (at most {MaxFrame}): not this protocol");
            }

            var payload = new byte[length - 1];
            ReadExactly(payload, descriptors, deadline, cancellationToken);
            var message = new HandOverMessage((HandOverKind)header[4], payload, [.. descriptors]);
            descriptors.Clear();
            return message;
        }
        finally
        {
            foreach (var fd in descriptors)
            {
                Libc.close(fd);
            }
        }
    }

    /// <summary>
    /// <see cref="Receive"/> on a thread of its own: a wait of seconds (a new host starting) must not hold one of the
    /// thread pool's few threads, on which the sockets transport serves every connection.
    /// </summary>
    public Task<HandOverMessage> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(() => Receive(timeout, cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void ReadExactly(byte[] buffer, List<int> descriptors, DateTime deadline, CancellationToken cancellationToken)
    {
        var controlLength = Libc.ControlSpace(Libc.MaxDescriptorsPerMessage * sizeof(int));
        var control = stackalloc byte[controlLength];
        var read = 0;
        fixed (byte* data = buffer)
        {
            while (read < buffer.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException("hand-over channel: no answer in time");
                }

                // In slices, so a cancellation is seen; SO_RCVTIMEO bounds each recvmsg.
                _socket.ReceiveTimeout = (int)Math.Max(1, Math.Min(left.TotalMilliseconds, s_slice.TotalMilliseconds));
                var vector = new Libc.IoVector { Base = data + read, Length = (nuint)(buffer.Length - read) };
                var message = new Libc.MessageHeader { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = (nuint)controlLength };
                var result = Libc.recvmsg(Fd, &message, Libc.MSG_CMSG_CLOEXEC);
                if (result < 0)
                {
                    var errno = Libc.LastError;
                    if (errno == Libc.EINTR || errno == Libc.EAGAIN)
                    {
                        continue;
                    }

                    throw new EndOfStreamException($"hand-over channel: recvmsg failed: {Libc.Describe(errno)}");
                }

                CollectDescriptors(control, (int)message.ControlLength, descriptors);
                if ((message.Flags & Libc.MSG_CTRUNC) != 0)
                {
                    throw new InvalidDataException("hand-over channel: descriptors truncated (more than one message can carry)");
                }

                if (result == 0)
                {
                    throw new EndOfStreamException("hand-over channel: the other host closed it (exited or died)");
                }

                read += (int)result;
            }
        }
    }

    private static void CollectDescriptors(byte* control, int length, List<int> descriptors)
    {
        var offset = 0;
        while (offset + Libc.ControlHeader.Size <= length)
        {
            var header = (Libc.ControlHeader*)(control + offset);
            var size = (int)header->Length;
            if (size < Libc.ControlHeader.Size || offset + size > length)
            {
                return;
            }

            if (header->Level == Libc.SOL_SOCKET && header->Type == Libc.SCM_RIGHTS)
            {
                var count = (size - Libc.ControlHeader.Size) / sizeof(int);
                descriptors.AddRange(new ReadOnlySpan<int>(control + offset + Libc.ControlHeader.Size, count));
            }

            offset += Libc.ControlSpace(size - Libc.ControlHeader.Size);
        }
    }

    public void Dispose() => _socket.Dispose();
}
