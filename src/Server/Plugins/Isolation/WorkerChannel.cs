using System.Net.Sockets;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// One epoll reactor's own socket pair to a worker (Epoll transport only): the reactor queues its requests here and
/// reads the answers itself when its epoll set says they arrived, so an answer costs no host reader thread and no
/// eventfd hand-off. The worker's death is still seen by the worker's main socket (<see cref="WorkerProcess"/>'s
/// reader thread), which fails every call waiting, those of every channel included.
/// </summary>
internal sealed class WorkerChannel
{
    private readonly WorkerProcess _worker;
    private readonly Socket _socket;
    private readonly IsolationCounters _counters;
    private readonly WorkerFrameReader _reader;
    private readonly List<IsolatedCalls> _toWake = [];
    private int _watched;
    private volatile bool _closed;

    public WorkerChannel(WorkerProcess worker, Socket socket, IsolationCounters counters)
    {
        _worker = worker;
        _socket = socket;
        _counters = counters;
        // Non-blocking: the reactor never waits in a read, and a send that would block reads answers meanwhile.
        socket.Blocking = false;
        _reader = new WorkerFrameReader(socket);
        Sender = new WorkerFrameSender(socket, counters, OnReadable);
    }

    public Socket Socket => _socket;

    public WorkerFrameSender Sender { get; }

    /// <summary>Gone: its worker died or was retired; the reactor forgets it.</summary>
    public bool IsClosed => _closed;

    /// <summary>True once: the caller (the reactor thread whose channel this is) adds it to its epoll set.</summary>
    public bool TryClaimWatch() => Interlocked.Exchange(ref _watched, 1) == 0;

    /// <summary>
    /// Reactor thread, the channel is readable (or its send would block): one non-blocking receive, every whole answer
    /// completed, each connection that got answers woken once. False when the worker's end is closed.
    /// </summary>
    public bool OnReadable()
    {
        if (_closed || !_reader.Fill())
        {
            _closed = true;
            return false;
        }

        var answers = 0;
        try
        {
            while (_reader.TryRead(out var kind, out var id, out var payload))
            {
                _worker.Complete(kind, id, payload, _toWake);
                answers++;
            }
        }
        catch (InvalidDataException exception)
        {
            _worker.Kill($"it sent a malformed frame ({exception.Message})");
            _closed = true;
        }

        if (answers > 0)
        {
            _counters.AnswersRead(answers);
        }

        foreach (var owner in _toWake)
        {
            owner.Wake();
        }

        _toWake.Clear();
        return !_closed;
    }

    public void Dispose()
    {
        _closed = true;
        _socket.Dispose();
    }
}
