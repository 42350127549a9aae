using PluggableNet.Server.Plugins;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// Connections this reactor's pass gave pushes to directly (a broadcast by one of its connections to members it also
/// serves, <c>IPushTarget.TryTakeNow</c>): each is listed once, framed and sent once, when the pass's events are
/// handled, so a burst of broadcasts leaves in one send per member, as the C baseline's per-connection buffer does.
/// Taken this way a push costs a reference held by the member, where the session queue cost an enqueue, a wake and
/// a drain, with their locked instructions, per member.
/// </summary>
internal sealed partial class EpollReactor
{
    private readonly List<EpollConnection> _holdingPushes = [];

    /// <summary>Reactor thread, in a pass: <paramref name="connection"/> holds pushes to frame and send before the pass ends.</summary>
    public void SendAfterPass(EpollConnection connection)
    {
        if (!connection.HoldsPushes)
        {
            connection.HoldsPushes = true;
            _holdingPushes.Add(connection);
        }
    }

    private void SendHeldPushes(PluginGeneration generation, long now)
    {
        // By index: sending may close a connection, never write to another one.
        for (var i = 0; i < _holdingPushes.Count; i++)
        {
            var connection = _holdingPushes[i];
            connection.HoldsPushes = false;
            if (!connection.Closed)
            {
                connection.Machine.WritePassPushes(now);
                Flush(connection, generation, now);
                Update(connection);
            }
        }

        _holdingPushes.Clear();
    }
}
