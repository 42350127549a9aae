using System.Threading.Channels;

namespace PluggableNet.Server.Connections.Handover;

/// <summary>
/// A detach batch as the connections see it (<see cref="ConnectionContext.Detaching"/>): while it is open, each
/// connection that reaches a point between requests leaves its transport (<see cref="ConnectionStep.Detach"/>) and its
/// snapshot is delivered here. Once closed (the deadline, or nobody left), no detach starts, and the reader completes
/// when the ones already started are delivered: none is ever dropped between the two.
/// </summary>
internal sealed class DetachRequest
{
    private readonly Channel<ConnectionSnapshot> _snapshots = Channel.CreateUnbounded<ConnectionSnapshot>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private int _inProgress;
    private int _delivered;
    private volatile bool _closed;

    public bool IsOpen => !_closed;

    /// <summary>A batch closed from the start: every <see cref="TryBegin"/> is refused.</summary>
    public static DetachRequest Closed()
    {
        var request = new DetachRequest();
        request.Close();
        return request;
    }

    public ChannelReader<ConnectionSnapshot> Snapshots => _snapshots.Reader;

    /// <summary>Connections that left so far.</summary>
    public int Delivered => Volatile.Read(ref _delivered);

    /// <summary>On the connection's thread: a detach may start; pair with <see cref="Deliver"/> or <see cref="Abandon"/>.</summary>
    public bool TryBegin()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            _inProgress++;
            return true;
        }
    }

    public void Deliver(ConnectionSnapshot snapshot)
    {
        _snapshots.Writer.TryWrite(snapshot);
        Interlocked.Increment(ref _delivered);
        End();
    }

    /// <summary>The connection could not leave after all (its session's export failed): it stays.</summary>
    public void Abandon() => End();

    /// <summary>No more detaches start; the reader completes once those started are delivered.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            if (_inProgress == 0)
            {
                _snapshots.Writer.TryComplete();
            }
        }
    }

    private void End()
    {
        lock (_lock)
        {
            if (--_inProgress == 0 && _closed)
            {
                _snapshots.Writer.TryComplete();
            }
        }
    }
}
