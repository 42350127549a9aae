namespace PluggableNet.Testing;

/// <summary>
/// An <see cref="ISessionRegistry"/> without a server, for a session plugin's tests: <see cref="FakeSession"/>s by id,
/// named groups, and pushes recorded in each member's <see cref="FakeSession.Pushes"/>, with the outcomes the host gives.
/// </summary>
/// <remarks>
/// <para>
/// As on the host: a push to an id that is not open is <see cref="PushResult.Gone"/>; a <see cref="FakeSession.Stalled"/>
/// session loses the message (<see cref="PushResult.Dropped"/>) or is closed (<see cref="PushResult.Closed"/>) by the
/// <see cref="SessionOptions.SlowConsumer"/> policy; a v1 session of a plugin without
/// <see cref="SessionOptions.V1StreamMode"/> refuses pushes; after <see cref="Retire"/> every push is
/// <see cref="PushResult.Refused"/>; and a plugin that pushes without <see cref="SessionOptions.Pushes"/> gets an
/// <see cref="InvalidOperationException"/>. The last three need <see cref="Options"/>, which
/// <see cref="PluginUnderTest"/> sets from the plugin it loads.
/// </para>
/// <para>Any thread may use it. Groups are kept per registry: a session joins only groups of its own registry.</para>
/// </remarks>
public sealed class FakeSessionRegistry : ISessionRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, FakeSession> _open = [];
    private readonly Dictionary<string, List<FakeSession>> _groups = new(StringComparer.Ordinal);
    private readonly List<FakeSession> _known = [];
    private volatile bool _retired;

    /// <summary>Creates an empty registry.</summary>
    /// <param name="options">How the plugin under test declared its sessions (its <see cref="ISessionPlugin.Sessions"/>); null if not known yet.</param>
    public FakeSessionRegistry(SessionOptions? options = null) => Options = options;

    /// <summary>
    /// How the plugin under test declared its sessions, which decides what its pushes may do; null when not known:
    /// pushes are then allowed, to any protocol, and a stalled member loses the message.
    /// </summary>
    public SessionOptions? Options { get; set; }

    /// <summary>Whether <see cref="Retire"/> was called: the plugin generation pushing through this registry was swapped out.</summary>
    public bool Retired => _retired;

    /// <inheritdoc />
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Every open session now, by id.</summary>
    public IReadOnlyList<FakeSession> OpenSessions
    {
        get
        {
            lock (_lock)
            {
                return [.. _open.Values.OrderBy(s => s.Id)];
            }
        }
    }

    /// <summary>
    /// From now on every push through this registry, and through its sessions, is <see cref="PushResult.Refused"/> and
    /// recorded nowhere: what the host does to a generation a swap retired (a timer it forgot cannot push).
    /// </summary>
    public void Retire() => _retired = true;

    /// <inheritdoc />
    public ISession? Find(long id)
    {
        lock (_lock)
        {
            return _open.GetValueOrDefault(id);
        }
    }

    /// <inheritdoc />
    public PushResult Push(long id, ReadOnlySpan<byte> payload)
    {
        if (Refuse() is { } refused)
        {
            return refused;
        }

        lock (_lock)
        {
            return _open.TryGetValue(id, out var session) ? Deliver(session, payload) : PushResult.Gone;
        }
    }

    /// <inheritdoc />
    public bool Join(ISession session, string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var member = Own(session);
        lock (_lock)
        {
            if (!IsOpen(member))
            {
                return false;
            }

            if (!_groups.TryGetValue(group, out var members))
            {
                _groups[group] = members = [];
            }

            if (members.Contains(member))
            {
                return false;
            }

            members.Add(member);
            return true;
        }
    }

    /// <inheritdoc />
    public bool Leave(ISession session, string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var member = Own(session);
        lock (_lock)
        {
            return _groups.TryGetValue(group, out var members) && members.Remove(member);
        }
    }

    /// <inheritdoc />
    public int CountOf(string group)
    {
        lock (_lock)
        {
            return _groups.TryGetValue(group, out var members) ? members.Count : 0;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<ISession> MembersOf(string group)
    {
        lock (_lock)
        {
            return _groups.TryGetValue(group, out var members) ? [.. members] : [];
        }
    }

    /// <inheritdoc />
    public BroadcastResult Broadcast(string group, ReadOnlySpan<byte> payload, long exceptId = 0)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (Refuse() is not null)
        {
            return new BroadcastResult(0, 0, 0, CountOf(group));
        }

        int queued = 0, dropped = 0, gone = 0, refused = 0;
        lock (_lock)
        {
            if (!_groups.TryGetValue(group, out var members))
            {
                return default;
            }

            // A snapshot: a member closed by the slow-consumer policy leaves the list being walked.
            foreach (var member in members.ToArray())
            {
                if (member.Id == exceptId)
                {
                    continue;
                }

                switch (Deliver(member, payload))
                {
                    case PushResult.Queued:
                        queued++;
                        break;
                    case PushResult.Gone:
                        gone++;
                        break;
                    case PushResult.Refused:
                        refused++;
                        break;
                    default:
                        dropped++;
                        break;
                }
            }
        }

        return new BroadcastResult(queued, dropped, gone, refused);
    }

    /// <summary>The groups <paramref name="session"/> is a member of, by name.</summary>
    internal IReadOnlyList<string> GroupsOf(FakeSession session)
    {
        lock (_lock)
        {
            return [.. _groups.Where(g => g.Value.Contains(session)).Select(g => g.Key).Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>A new session opens: a fresh id if it has none, or the one it was given, which must be free.</summary>
    internal void Add(FakeSession session)
    {
        lock (_lock)
        {
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
        if (session.Protocol == SessionProtocol.V1 && options is { V1StreamMode: false })
        {
            // A v1 client pairs every frame it receives with a request: without stream mode it cannot take pushes.
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
