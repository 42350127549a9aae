namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// Wakes one reactor's pass asks of another (its plugin broadcasting to a group whose members the other owns) are
/// written once the pass has handled its events, once per reactor, not with the first member queued. Woken at once,
/// the other reactor ran while the events were still being handled: under a burst of broadcasts it took the one or
/// two messages queued so far for each of its members, sent them, and was woken again by the next broadcast, up to
/// one send per message per member where the C baseline sends once per member per wake-up. Deferred, it sends
/// everything the events queued in one send per member.
/// </summary>
/// <remarks>
/// <para>Written before this reactor sends to its own members (<see cref="WakePeers"/>), not when the pass ends: a
/// wake written after the sends started the other reactor's half of a broadcast only once this reactor had sent its
/// half, so two reactors delivered a fan-out one after the other, at one core's rate.</para>
/// <para>A wake is delayed by at most one pass, never dropped: the pass's <c>finally</c> writes every one left. Only a
/// reactor's own pass defers; any other thread (a timer, an offloaded call, the Sockets transport) wakes at once.</para>
/// </remarks>
internal sealed partial class EpollReactor
{
    // The reactor whose pass runs on this thread, while one runs; null elsewhere.
    [ThreadStatic]
    private static EpollReactor? t_inPass;

    // This reactor's pass queued work for these reactors (reactor thread only; a handful at most: one per reactor).
    private readonly List<EpollReactor> _peersToWake = [];

    /// <summary>True on this reactor's thread while its pass runs.</summary>
    public bool IsInPass => ReferenceEquals(t_inPass, this);

    private void BeginPass() => t_inPass = this;

    /// <summary>The pass is over: every reactor it queued work for and has not woken yet is woken, once.</summary>
    private void EndPass()
    {
        t_inPass = null;
        WakePeers();
    }

    /// <summary>The reactors this pass queued work for so far start on it now, while this one goes on with its own.</summary>
    private void WakePeers()
    {
        for (var i = 0; i < _peersToWake.Count; i++)
        {
            _peersToWake[i].Wake();
        }

        _peersToWake.Clear();
    }

    /// <summary>Any thread: true if this thread is another reactor's pass, which wakes this one when it ends.</summary>
    private bool DeferWakeToPass()
    {
        if (t_inPass is not { } pass || ReferenceEquals(pass, this))
        {
            return false;
        }

        if (!pass._peersToWake.Contains(this))
        {
            pass._peersToWake.Add(this);
        }

        return true;
    }
}
