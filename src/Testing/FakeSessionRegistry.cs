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
/// <see cref="SessionOptions.V1StreamMode"/> refuses pushes, and so does any session a push larger than its
/// <see cref="FakeSession.MaxPushBytes"/>; after <see cref="Retire"/> every push is
/// <see cref="PushResult.Refused"/>; and a plugin that pushes without <see cref="SessionOptions.Pushes"/> gets an
/// <see cref="InvalidOperationException"/>. The last three need <see cref="Options"/>, which
/// <see cref="PluginUnderTest"/> sets from the plugin it loads.
/// </para>
/// <para>Any thread may use it. Groups are kept per registry: a session joins only groups of its own registry.</para>
/// </remarks>
public sealed partial class FakeSessionRegistry : ISessionRegistry
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
}
