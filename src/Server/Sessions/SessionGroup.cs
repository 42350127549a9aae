namespace PluggableNet.Server.Sessions;

/// <summary>
/// A named set of sessions (a room, a topic). A broadcast walks the members under the group's lock, queueing one
/// holder of a shared payload per member: queueing never blocks, so the lock is held for microseconds per thousand.
/// </summary>
internal sealed class SessionGroup(string name)
{
    private readonly HashSet<Session> _members = [];
    private readonly Lock _lock = new();

    public string Name { get; } = name;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _members.Count;
            }
        }
    }

    public bool Add(Session session)
    {
        lock (_lock)
        {
            return _members.Add(session);
        }
    }

    public bool Remove(Session session)
    {
        lock (_lock)
        {
            return _members.Remove(session);
        }
    }

    public Session[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _members];
        }
    }

    /// <summary>Queues <paramref name="payload"/> for every member but <paramref name="exceptId"/>; releases the holders not used.</summary>
    /// <param name="payload">What every member gets.</param>
    /// <param name="exceptId">A member skipped (the sender), or 0.</param>
    /// <param name="policy">The pushing plugin's slow-consumer policy.</param>
    /// <param name="closed">Of the dropped, the members closed as slow consumers.</param>
    public BroadcastResult Broadcast(ReadOnlySpan<byte> payload, long exceptId, SlowConsumerPolicy policy, out int closed)
    {
        int queued = 0, dropped = 0, gone = 0, refused = 0;
        closed = 0;
        lock (_lock)
        {
            var shared = SharedPayload.Copy(payload, _members.Count + 1);
            foreach (var member in _members)
            {
                if (member.Id == exceptId)
                {
                    continue;
                }

                switch (member.Enqueue(shared, policy))
                {
                    case PushResult.Queued:
                        queued++;
                        break;
                    case PushResult.Gone:
                        gone++;
                        break;
                    case PushResult.Closed:
                        closed++;
                        dropped++;
                        break;
                    case PushResult.Refused:
                        refused++;
                        break;
                    default:
                        dropped++;
                        break;
                }
            }

            // The extra holder kept the payload alive while members released theirs; the skipped one too.
            shared.Release(_members.Count + 1 - queued - dropped - gone - refused);
        }

        return new BroadcastResult(queued, dropped, gone, refused);
    }
}
