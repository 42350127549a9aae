using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Diagnostics;

namespace PluggableNet.Server.Sessions;

/// <summary>
/// Every open session of one server, by id, and the named groups; host-wide, so it outlives plugin generations.
/// Plugins reach it through their generation's <see cref="RegistryView"/>.
/// </summary>
/// <remarks>
/// This file: sessions and groups. The gate that keeps plugin code out while a swap moves the state is in
/// <c>SessionRegistry.Gate.cs</c>, the move itself in <c>SessionRegistry.Migration.cs</c>.
/// </remarks>
internal sealed partial class SessionRegistry(ILogger logger)
{
    private readonly ConcurrentDictionary<long, Session> _sessions = new();
    private readonly ConcurrentDictionary<string, SessionGroup> _groups = new(StringComparer.Ordinal);
    private readonly ThrottledLog _throttled = new(logger);

    public int Count => _sessions.Count;

    public SessionMetrics Metrics { get; } = new();

    public Session? Find(long id) => _sessions.TryGetValue(id, out var session) && !session.Ended ? session : null;

    public void Add(Session session)
    {
        _sessions[session.Id] = session;
    }

    /// <summary>The connection closed: the session leaves the registry and its groups. False if it had already.</summary>
    public bool Remove(Session session)
    {
        if (!session.End())
        {
            return false;
        }

        _sessions.TryRemove(session.Id, out _);
        return true;
    }

    public bool Join(Session session, string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (session.Ended)
        {
            return false;
        }

        var target = _groups.GetOrAdd(group, static name => new SessionGroup(name));
        if (!target.Add(session))
        {
            return false;
        }

        session.JoinedGroup(target);
        if (session.Ended)
        {
            // Closed while joining: End may have walked its groups before this one was added.
            target.Remove(session);
            return false;
        }

        return true;
    }

    public bool Leave(Session session, string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (!_groups.TryGetValue(group, out var target) || !target.Remove(session))
        {
            return false;
        }

        session.LeftGroup(target);
        return true;
    }

    public int CountOf(string group) => _groups.TryGetValue(group, out var target) ? target.Count : 0;

    public IReadOnlyList<ISession> MembersOf(string group, SessionScope scope) =>
        _groups.TryGetValue(group, out var target) ? target.Snapshot().Select(s => (ISession)s.ViewFor(scope)).ToArray() : [];

    public BroadcastResult Broadcast(string group, ReadOnlySpan<byte> payload, long exceptId, SlowConsumerPolicy policy)
    {
        if (!_groups.TryGetValue(group, out var target))
        {
            return default;
        }

        var result = target.Broadcast(payload, exceptId, policy, out var closed);
        Metrics.Broadcast(result, closed);
        return result;
    }

    /// <summary>Counts one push's outcome and returns it.</summary>
    public PushResult Counted(PushResult result)
    {
        Metrics.Pushed(result);
        return result;
    }

    /// <summary>A retired generation tried to push (a timer it forgot): counted, and logged once a second.</summary>
    public void RetiredPush(SessionScope scope)
    {
        Metrics.Pushed(PushResult.Refused);
        if (_throttled.ShouldLog(ThrottledEvent.RetiredPush, Environment.TickCount64))
        {
            logger.LogWarning(
                "A push from retired plugin generation {Generation} was refused and not written: code swapped out still runs (a timer or thread it did not stop when disposed)",
                scope.Describe);
        }
    }

    /// <summary>Sums up the throttled lines of seconds that are over; from the periodic scan.</summary>
    public void FlushLog(long now) => _throttled.Flush(now);

    /// <summary>Every open session now, for a swap to move.</summary>
    private Session[] Snapshot() => [.. _sessions.Values];
}
