namespace PluggableNet.Server.Sessions;

/// <summary>The <see cref="ISessionRegistry"/> one plugin generation is handed: the host's registry, through its scope.</summary>
internal sealed class RegistryView(SessionRegistry registry, SessionScope scope) : ISessionRegistry
{
    public int Count => registry.Count;

    public ISession? Find(long id) => registry.Find(id)?.ViewFor(scope);

    public PushResult Push(long id, ReadOnlySpan<byte> payload) =>
        registry.Find(id) is { } session ? PushTo(session, payload) : Refuse() ?? registry.Counted(PushResult.Gone);

    public bool Join(ISession session, string group) => registry.Join(Core(session), group);

    public bool Leave(ISession session, string group) => registry.Leave(Core(session), group);

    public int CountOf(string group) => registry.CountOf(group);

    public IReadOnlyList<ISession> MembersOf(string group) => registry.MembersOf(group, scope);

    public BroadcastResult Broadcast(string group, ReadOnlySpan<byte> payload, long exceptId = 0)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (Refuse() is not null)
        {
            return new BroadcastResult(0, 0, 0, registry.CountOf(group));
        }

        return registry.Broadcast(group, payload, exceptId, scope.Options.SlowConsumer);
    }

    internal PushResult PushTo(Session session, ReadOnlySpan<byte> payload)
    {
        if (Refuse() is { } refused)
        {
            return refused;
        }

        return registry.Counted(session.Enqueue(SharedPayload.Copy(payload, 1), scope.Options.SlowConsumer));
    }

    /// <summary>Refused, and reported, when this generation is retired; throws when the plugin never declared pushes.</summary>
    private PushResult? Refuse()
    {
        if (scope.Retired)
        {
            registry.RetiredPush(scope);
            return PushResult.Refused;
        }

        if (!scope.Options.Pushes)
        {
            throw new InvalidOperationException(
                $"{scope.Describe} pushes without declaring it: set SessionOptions.Pushes (and V1StreamMode) in its Sessions property.");
        }

        return null;
    }

    private static Session Core(ISession session) => session switch
    {
        SessionView view => view.Session,
        null => throw new ArgumentNullException(nameof(session)),
        _ => throw new ArgumentException("Not a session of this host.", nameof(session)),
    };
}
