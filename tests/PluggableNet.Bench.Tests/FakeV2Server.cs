using System.Buffers;
using System.Net;
using System.Net.Sockets;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Bench.Tests;

/// <summary>What <see cref="FakeV2Server"/> does with the requests it reads.</summary>
public enum FakeV2Behavior
{
    /// <summary>Reverse, the requests of each read answered in reverse order (out of order, as offloaded answers may come).</summary>
    CorrectOutOfOrder,

    /// <summary>As correct, but one answer carries the id of another request of the same read (a duplicate id).</summary>
    DuplicateId,

    /// <summary>As correct, but one byte of each answer's payload is wrong.</summary>
    WrongPayload,
}

/// <summary>
/// A tiny v2 Reverse server on 127.0.0.1, port 0: preface and SETTINGS, then ANSWER per REQUEST, misbehaving on demand.
/// Blocking sockets on its own threads, never the thread pool: beside a child process (whose output pipes are read by
/// blocking pool threads on Unix) the pool of a 2-core machine starved, and this server stalled for half a second.
/// </summary>
internal sealed class FakeV2Server : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly FakeV2Behavior _behavior;
    private readonly Thread _acceptThread;
    private readonly List<(Socket Socket, Thread Thread)> _clients = [];
    private volatile bool _stopping;

    public FakeV2Server(FakeV2Behavior behavior)
    {
        _behavior = behavior;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        _acceptThread = new Thread(Accept) { IsBackground = true, Name = "fake-v2-accept" };
        _acceptThread.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public ValueTask DisposeAsync()
    {
        _stopping = true;
        _listener.Dispose();
        _acceptThread.Join(TimeSpan.FromSeconds(5));
        lock (_clients)
        {
            foreach (var (socket, thread) in _clients)
            {
                socket.Dispose();
                thread.Join(TimeSpan.FromSeconds(5));
            }
        }

        return ValueTask.CompletedTask;
    }

    private void Accept()
    {
        try
        {
            while (!_stopping)
            {
                var socket = _listener.Accept();
                socket.NoDelay = true;
                var thread = new Thread(() => Serve(socket)) { IsBackground = true, Name = "fake-v2-serve" };
                lock (_clients)
                {
                    _clients.Add((socket, thread));
                }

                thread.Start();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private void Serve(Socket socket)
    {
        try
        {
            var preface = new byte[8];
            ReadExactly(socket, preface);
            if (Preface.Match(preface) != PrefaceMatch.Preface)
            {
                return;
            }

            var settings = new ArrayBufferWriter<byte>();
            new Settings { Server = "Fake/1.0.0" }.Write(settings);
            var start = new byte[8 + FrameHeader.Size + settings.WrittenCount];
            Preface.Bytes.CopyTo(start);
            new FrameHeader((uint)settings.WrittenCount, FrameType.Settings, 0, 0).Write(start.AsSpan(8));
            settings.WrittenSpan.CopyTo(start.AsSpan(8 + FrameHeader.Size));
            socket.Send(start);

            var buffer = new byte[64 * 1024];
            var have = 0;
            while (true)
            {
                var read = socket.Receive(buffer.AsSpan(have));
                if (read == 0)
                {
                    return;
                }

                have += read;
                var frames = new List<(uint Id, byte[] Payload)>();
                var at = 0;
                while (FrameHeader.TryRead(buffer.AsSpan(at, have - at), out var header) && have - at >= FrameHeader.Size + header.Length)
                {
                    if (header.Type != FrameType.Request)
                    {
                        return;
                    }

                    frames.Add((header.Id, buffer.AsSpan(at + FrameHeader.Size, (int)header.Length).ToArray()));
                    at += FrameHeader.Size + (int)header.Length;
                }

                buffer.AsSpan(at, have - at).CopyTo(buffer);
                have -= at;
                frames.Reverse();
                var answers = new List<byte>();
                for (var i = 0; i < frames.Count; i++)
                {
                    var (id, payload) = frames[i];
                    Array.Reverse(payload);
                    if (_behavior == FakeV2Behavior.WrongPayload)
                    {
                        payload[0] ^= 0x20;
                    }

                    if (_behavior == FakeV2Behavior.DuplicateId && i == frames.Count - 1)
                    {
                        id = frames[0].Id;
                    }

                    var header = new byte[FrameHeader.Size];
                    new FrameHeader((uint)payload.Length, FrameType.Answer, 0, id).Write(header);
                    answers.AddRange(header);
                    answers.AddRange(payload);
                }

                socket.Send(answers.ToArray());
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or EndOfStreamException)
        {
            // The client closed, or the test is over.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static void ReadExactly(Socket socket, Span<byte> buffer)
    {
        for (var received = 0; received < buffer.Length;)
        {
            var read = socket.Receive(buffer[received..]);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            received += read;
        }
    }
}
