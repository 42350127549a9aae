namespace PluggableNet;

/// <summary>
/// Every open session of the host, by id, and named groups of them (rooms, topics). Any thread may use it; nothing
/// in it blocks a reactor. A plugin gets it from <see cref="ISession.Sessions"/> or through its constructor.
/// </summary>
/// <remarks>
/// Groups belong to the host, not to a plugin generation: membership survives a swap as it is. A closed session
/// leaves every group by itself.
/// </remarks>
public interface ISessionRegistry
{
    /// <summary>Open sessions now.</summary>
    int Count { get; }

    /// <summary>The session with <paramref name="id"/>, if it is open.</summary>
    ISession? Find(long id);

    /// <summary>Pushes to the session with <paramref name="id"/>: <see cref="PushResult.Gone"/> when no such session is open.</summary>
    PushResult Push(long id, ReadOnlySpan<byte> payload);

    /// <summary>Adds <paramref name="session"/> to <paramref name="group"/>; false if it was a member already.</summary>
    bool Join(ISession session, string group);

    /// <summary>Removes <paramref name="session"/> from <paramref name="group"/>; false if it was not a member.</summary>
    bool Leave(ISession session, string group);

    /// <summary>Members of <paramref name="group"/> now (0 for a group nobody joined).</summary>
    int CountOf(string group);

    /// <summary>The members of <paramref name="group"/> now, a snapshot.</summary>
    IReadOnlyList<ISession> MembersOf(string group);

    /// <summary>
    /// Pushes <paramref name="payload"/> to every member of <paramref name="group"/> but <paramref name="exceptId"/>
    /// (0: none). The payload is copied once and shared by every member's queue.
    /// </summary>
    BroadcastResult Broadcast(string group, ReadOnlySpan<byte> payload, long exceptId = 0);
}
