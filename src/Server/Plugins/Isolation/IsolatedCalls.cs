namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// A connection's requests to isolated plugins, in the order they were taken. A pass queues each complete frame to the
/// worker without sending it (<see cref="TryStart"/>) and sends them all in one write at its end (<see cref="Flush"/>);
/// the worker's reader thread fills in the answers of one read and wakes the connection once for all of them, and the
/// connection writes them out on its own thread (v1 from the head, in order; v2 as they are done).
/// Only the connection's thread touches the list; the reader thread touches the calls and the wake flag.
/// </summary>
internal sealed class IsolatedCalls(Action wake)
{
    private readonly List<IsolatedCall> _calls = [];
    private WorkerProcess? _unflushed;
    private int _wakeMarked;

    public int Count => _calls.Count;

    public IsolatedCall this[int index] => _calls[index];

    /// <summary>When the oldest call still waited for was queued (<see cref="long.MaxValue"/> if none): calls are kept in that order.</summary>
    public long OldestSentAtMs => _calls.Count > 0 ? _calls[0].SentAtMs : long.MaxValue;

    /// <summary>Queues <paramref name="payload"/> to the plugin's live worker; false if it has none (crashed, restarting, given up).</summary>
    public bool TryStart(PluginGeneration generation, IsolatedPlugin plugin, uint clientId, ReadOnlySpan<byte> payload, int maxAnswerBytes, long now)
    {
        if (plugin.LiveWorker is not { } worker)
        {
            return false;
        }

        if (_unflushed is not null && !ReferenceEquals(_unflushed, worker))
        {
            Flush();
        }

        var call = IsolatedCall.Rent(this, generation, clientId, maxAnswerBytes, now);
        if (!worker.TryQueue(call, payload))
        {
            call.ReleaseUnsent();
            return false;
        }

        _unflushed = worker;
        _calls.Add(call);
        return true;
    }

    /// <summary>End of a pass: everything queued goes to the worker, one write per worker.</summary>
    public void Flush()
    {
        if (_unflushed is { } worker)
        {
            _unflushed = null;
            IsolatedSends.Flush(worker);
        }
    }

    /// <summary>Keeps the first <paramref name="count"/> entries (callers compact in place).</summary>
    public void Truncate(int count) => _calls.RemoveRange(count, _calls.Count - count);

    public void Set(int index, IsolatedCall call) => _calls[index] = call;

    /// <summary>Removes the first <paramref name="count"/> calls (v1: the answered head).</summary>
    public void RemoveFirst(int count) => _calls.RemoveRange(0, count);

    /// <summary>v2 CANCEL: the call with <paramref name="clientId"/> is abandoned; false if none waits.</summary>
    public bool Cancel(uint clientId)
    {
        for (var i = 0; i < _calls.Count; i++)
        {
            if (_calls[i].ClientId == clientId)
            {
                _calls[i].Abandon();
                _calls.RemoveAt(i);
                return true;
            }
        }

        return false;
    }

    /// <summary>The connection is gone: every call is abandoned (its answer, if it comes, is dropped).</summary>
    public void AbandonAll()
    {
        Flush();
        foreach (var call in _calls)
        {
            call.Abandon();
        }

        _calls.Clear();
    }

    /// <summary>Reader thread: true the first time since the last <see cref="Wake"/>, so a read wakes the connection once.</summary>
    internal bool MarkWake() => Interlocked.Exchange(ref _wakeMarked, 1) == 0;

    /// <summary>Reader thread, after the whole read: the connection gets a turn on its own thread.</summary>
    internal void Wake()
    {
        Volatile.Write(ref _wakeMarked, 0);
        wake();
    }
}
