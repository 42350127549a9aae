using System.Collections.Concurrent;
using System.Net;

namespace PluggableNet.Server.Sessions;

/// <summary>
/// The host's side of one connection's session: identity, the plugin's state, the groups it joined, and the queue of
/// pushes waiting for the connection's own thread to frame them. Lives in the host's load context, so it outlives
/// every plugin generation; only <see cref="State"/> holds a plugin's object, and a swap replaces it.
/// </summary>
/// <remarks>
/// Any thread pushes: the payload is queued, its bytes counted against the connection's
/// <c>Limits:MaxPendingWriteBytes</c> together with what the connection has not sent yet, and the connection is woken
/// once per batch (<see cref="TakeWakeRequest"/>). The connection drains the queue into its output on its own thread.
/// A push made on that thread, between the connection's events, with nothing queued before it, skips the queue and
/// is taken at once (<see cref="IPushTarget.TryTakeNow"/>).
/// </remarks>
internal sealed class Session
{
    private readonly ConcurrentQueue<SharedPayload> _pushes = new();
    private readonly IPushTarget _connection;
    private readonly int _frameOverhead;
    private readonly int _maxPendingBytes;
    private readonly int _maxPayload;
    private readonly Lock _groupsLock = new();
    private List<SessionGroup>? _groups;
    private long _queuedBytes;
    private int _outputBacklog;
    private int _wakeRequested;
    private int _ended;
    private int _closeRequest;

    public Session(long id, IPushTarget connection, EndPoint? remote, EndPoint? local, SessionProtocol protocol, int frameOverhead, int maxPendingBytes, int maxPayload, SessionRegistry registry)
    {
        _maxPayload = maxPayload;
        Id = id;
        _connection = connection;
        RemoteEndPoint = remote;
        LocalEndPoint = local;
        Protocol = protocol;
        _frameOverhead = frameOverhead;
        _maxPendingBytes = maxPendingBytes;
        Registry = registry;
        OpenedAt = DateTimeOffset.UtcNow;
    }

    public long Id { get; }

    public EndPoint? RemoteEndPoint { get; }

    public EndPoint? LocalEndPoint { get; }

    public SessionProtocol Protocol { get; }

    public DateTimeOffset OpenedAt { get; }

    /// <summary>The TLS client certificate's subject, if the endpoint asked for one and the client sent it.</summary>
    public string? ClientCertificateSubject { get; init; }

    public SessionRegistry Registry { get; }

    /// <summary>The plugin's per-connection state, owned by the generation of <see cref="View"/>.</summary>
    public object? State { get; set; }

    /// <summary>How the generation that owns <see cref="State"/> sees this session; replaced at a swap.</summary>
    public SessionView View { get; set; } = null!;

    public bool Ended => Volatile.Read(ref _ended) != 0;

    /// <summary>Why a close was asked from another thread (a plugin's Close, a slow consumer), or None.</summary>
    public SessionCloseReason? CloseRequest => Volatile.Read(ref _closeRequest) is var request and > 0 ? (SessionCloseReason)(request - 1) : null;

    /// <summary>The plugin's reason text for <see cref="SessionCloseReason.ClosedByPlugin"/>.</summary>
    public string CloseText { get; private set; } = string.Empty;

    public bool HasPushes => !_pushes.IsEmpty;

    /// <summary>The view of <paramref name="scope"/>'s generation: the current one, or a new one for an older or newer generation.</summary>
    public SessionView ViewFor(SessionScope scope) => View is { } view && ReferenceEquals(view.Scope, scope) ? view : new SessionView(this, scope);

    /// <summary>Any thread: queues one holder of <paramref name="payload"/>, or says why not. The caller's holder is used either way.</summary>
    public PushResult Enqueue(SharedPayload payload, SlowConsumerPolicy policy)
    {
        if (Ended || Volatile.Read(ref _closeRequest) != 0)
        {
            // Closed, or closing on a request (the plugin's Close, a slow consumer): nothing more is written to it.
            payload.Release();
            return PushResult.Gone;
        }

        if (_maxPendingBytes < 0 || payload.Length > _maxPayload)
        {
            // A v1 connection whose plugin declared no stream mode (its client pairs every frame with a request), or a
            // payload larger than the connection's framing can carry.
            payload.Release();
            return PushResult.Refused;
        }

        var frame = _frameOverhead + payload.Length;
        if (Volatile.Read(ref _queuedBytes) == 0)
        {
            // Nothing queued that this push must follow: the connection's own thread takes it at once if it can.
            switch (_connection.TryTakeNow(payload, frame, _maxPendingBytes))
            {
                case ImmediatePush.Taken:
                    return PushResult.Queued;
                case ImmediatePush.OverLimit:
                    return TooFarBehind(payload, policy);
            }
        }

        // A plain read: a 64-bit field is read whole on the 64-bit platforms the host runs on, and Interlocked.Read is
        // a locked compare-exchange, once per member of every broadcast.
        if (Volatile.Read(ref _outputBacklog) + Volatile.Read(ref _queuedBytes) + frame > _maxPendingBytes)
        {
            return TooFarBehind(payload, policy);
        }

        _pushes.Enqueue(payload);

        // Counted after the enqueue (the drain may subtract first: a moment below the truth, never lost): this locked
        // add is the full fence that makes the push visible before the wake flag is read below.
        Interlocked.Add(ref _queuedBytes, frame);
        if (Ended)
        {
            // Ended while queueing: the close may have drained already, so take back what nobody will send.
            DiscardPushes();
            return PushResult.Gone;
        }

        // Read first: under a burst the member is already woken for all but the first push, and the read needs no
        // locked instruction. Not a lost wake: the add above fences the push, and TakeWakeRequest clears the flag
        // with a fence before its drain reads the queue, so a 1 read here means that drain will see this push.
        if (Volatile.Read(ref _wakeRequested) == 0 && Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            _connection.WakeForPushes();
        }

        return PushResult.Queued;
    }

    private PushResult TooFarBehind(SharedPayload payload, SlowConsumerPolicy policy)
    {
        payload.Release();
        if (policy == SlowConsumerPolicy.CloseConnection)
        {
            RequestClose(SessionCloseReason.SlowConsumer, "too far behind with pushes");
            return PushResult.Closed;
        }

        return PushResult.Dropped;
    }

    /// <summary>The connection's thread: the next queued push, whose bytes it frames now.</summary>
    public bool TryTakePush(out SharedPayload payload)
    {
        if (!_pushes.TryDequeue(out payload!))
        {
            return false;
        }

        Interlocked.Add(ref _queuedBytes, -(_frameOverhead + payload.Length));
        return true;
    }

    /// <summary>
    /// The connection's thread, before it drains: later pushes wake it again. A full fence, not a volatile write:
    /// the drain's first read of an empty queue must not pass this store, or a push enqueued in between sees the flag
    /// still set, does not wake, and waits for the next push (a listener's last message may never come).
    /// </summary>
    public void TakeWakeRequest() => Interlocked.Exchange(ref _wakeRequested, 0);

    /// <summary>The connection's thread, after every event: its unsent bytes, for the push limit.</summary>
    public void PublishBacklog(int bytes) => Volatile.Write(ref _outputBacklog, bytes);

    /// <summary>Any thread: asks the connection to close on its own thread.</summary>
    public void RequestClose(SessionCloseReason reason, string text)
    {
        if (Interlocked.CompareExchange(ref _closeRequest, (int)reason + 1, 0) == 0)
        {
            CloseText = text;

            // Always, not once per batch: a wake for pushes may be pending on a connection stuck in a send.
            Volatile.Write(ref _wakeRequested, 1);
            _connection.WakeForPushes();
        }
    }

    public void JoinedGroup(SessionGroup group)
    {
        lock (_groupsLock)
        {
            (_groups ??= []).Add(group);
        }
    }

    public void LeftGroup(SessionGroup group)
    {
        lock (_groupsLock)
        {
            _groups?.Remove(group);
        }
    }

    /// <summary>The names of the groups joined, for a connection moving to another server (docs/upgrade-connections.md).</summary>
    public string[] GroupNames()
    {
        lock (_groupsLock)
        {
            return _groups is { Count: > 0 } list ? [.. list.Select(g => g.Name)] : [];
        }
    }

    /// <summary>Once, when the connection closes: no more pushes, every group left, queued pushes returned.</summary>
    public bool End()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return false;
        }

        SessionGroup[] groups;
        lock (_groupsLock)
        {
            groups = _groups is { Count: > 0 } list ? [.. list] : [];
            _groups = null;
        }

        foreach (var group in groups)
        {
            group.Remove(this);
        }

        DiscardPushes();
        return true;
    }

    private void DiscardPushes()
    {
        while (TryTakePush(out var payload))
        {
            payload.Release();
        }
    }
}
