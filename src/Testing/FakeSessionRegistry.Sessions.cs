namespace PluggableNet.Testing;

/// <summary>The registry's side of its sessions: opening, ids, ending, a swap's move, and one push by the host's rules.</summary>
public sealed partial class FakeSessionRegistry
{
    /// <summary>The groups <paramref name="session"/> is a member of, by name.</summary>
    internal IReadOnlyList<string> GroupsOf(FakeSession session)
    {
        lock (_lock)
        {
            return [.. _groups.Where(g => g.Value.Contains(session)).Select(g => g.Key).Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>
    /// A new session opens with the id it has, which must be free; with <paramref name="freshId"/> (an id drawn from the
    /// process-wide counter) one that a session here was given explicitly is skipped instead.
    /// </summary>
    internal void Add(FakeSession session, bool freshId = false)
    {
        lock (_lock)
        {
            while (freshId && _open.ContainsKey(session.Id))
            {
                session.DrawNextId();
            }

            if (_open.ContainsKey(session.Id))
            {
                throw new InvalidOperationException($"Session {session.Id} is open already in this registry.");
            }

            _open[session.Id] = session;
            _known.Add(session);
        }
    }

    /// <summary>An open session takes another id (its <see cref="FakeSession.Id"/> setter).</summary>
    internal void ChangeId(FakeSession session, long from, long to)
    {
        lock (_lock)
        {
            if (_open.TryGetValue(to, out var other) && !ReferenceEquals(other, session))
            {
                throw new InvalidOperationException($"Session {to} is open already in this registry.");
            }

            if (IsOpen(session))
            {
                _open.Remove(from);
                _open[to] = session;
            }
        }
    }

    /// <summary>The session ends: it leaves the registry and every group; false if it had already.</summary>
    internal bool Remove(FakeSession session)
    {
        lock (_lock)
        {
            if (!IsOpen(session))
            {
                return false;
            }

            _open.Remove(session.Id);
            foreach (var members in _groups.Values)
            {
                members.Remove(session);
            }

            return true;
        }
    }

    /// <summary>
    /// A swap moved a session's state into <paramref name="to"/>, of this registry: <paramref name="to"/> opens with
    /// that session's id (replacing it, if it is open here) and joins <paramref name="groups"/>.
    /// </summary>
    internal void Adopt(FakeSession to, IReadOnlyList<string> groups)
    {
        lock (_lock)
        {
            if (_open.TryGetValue(to.Id, out var previous))
            {
                Remove(previous);
            }

            _open[to.Id] = to;
            _known.Add(to);
            foreach (var group in groups)
            {
                if (!_groups.TryGetValue(group, out var members))
                {
                    _groups[group] = members = [];
                }

                members.Add(to);
            }
        }
    }

    /// <summary>The plugin is disposed: its objects in the sessions' state go with it, so nothing here pins its code.</summary>
    internal void ForgetStates()
    {
        lock (_lock)
        {
            foreach (var session in _known)
            {
                session.State = null;
            }
        }
    }

    /// <summary>A push to one session, by the host's rules (the registry's refusal checked before).</summary>
    internal PushResult PushTo(FakeSession session, ReadOnlySpan<byte> payload)
    {
        if (Refuse() is { } refused)
        {
            return refused;
        }

        lock (_lock)
        {
            return Deliver(session, payload);
        }
    }

    private PushResult Deliver(FakeSession session, ReadOnlySpan<byte> payload)
    {
        if (!IsOpen(session))
        {
            return PushResult.Gone;
        }

        var options = Options;
        if ((session.Protocol == SessionProtocol.V1 && options is { V1StreamMode: false }) || payload.Length > session.PushLimit)
        {
            // A v1 client pairs every frame it receives with a request: without stream mode it cannot take pushes.
            // Nor does any frame carry more than its framing allows.
            return PushResult.Refused;
        }

        if (session.Stalled)
        {
            if (options?.SlowConsumer == SlowConsumerPolicy.CloseConnection)
            {
                session.Ended("too far behind with pushes", SessionCloseReason.SlowConsumer);
                Remove(session);
                return PushResult.Closed;
            }

            return PushResult.Dropped;
        }

        session.Record(payload.ToArray());
        return PushResult.Queued;
    }

    /// <summary>Refused once retired; throws, as the host does, when the plugin never declared pushes.</summary>
    private PushResult? Refuse()
    {
        if (_retired)
        {
            return PushResult.Refused;
        }

        if (Options is { Pushes: false })
        {
            throw new InvalidOperationException(
                "The plugin pushes without declaring it: set SessionOptions.Pushes (and V1StreamMode) in its Sessions property.");
        }

        return null;
    }

    private bool IsOpen(FakeSession session) => _open.TryGetValue(session.Id, out var open) && ReferenceEquals(open, session);

    private FakeSession Own(ISession session) => session switch
    {
        null => throw new ArgumentNullException(nameof(session)),
        FakeSession fake when ReferenceEquals(fake.Registry, this) => fake,
        _ => throw new ArgumentException("Not a session of this registry: create it with new FakeSession(registry) or PluginUnderTest.OpenSession().", nameof(session)),
    };
}
