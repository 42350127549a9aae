namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// Sends of batched requests to workers, deferred to the end of an epoll reactor's wake-up: every connection the
/// wake-up served queues its requests, and each worker gets one write for all of them. On any other thread (the
/// Sockets transport, whose connections have no shared wake-up) a connection's pass sends at once.
/// </summary>
internal static class IsolatedSends
{
    [ThreadStatic]
    private static List<WorkerProcess>? t_pending;

    [ThreadStatic]
    private static bool t_deferring;

    [ThreadStatic]
    private static IWorkerChannelReactor? t_reactor;

    /// <summary>The epoll reactor running on this thread, if any: its requests go through its own worker channel.</summary>
    public static IWorkerChannelReactor? Reactor => t_reactor;

    /// <summary>Reactor thread, once at its start.</summary>
    public static void BindReactor(IWorkerChannelReactor reactor) => t_reactor = reactor;

    /// <summary>The reactor starts dispatching one wake-up's events: sends wait for <see cref="EndWakeUp"/>.</summary>
    public static void BeginWakeUp() => t_deferring = true;

    /// <summary>The wake-up's events are dispatched: one write per worker that got requests; true if any did.</summary>
    public static bool EndWakeUp()
    {
        t_deferring = false;
        if (t_pending is not { Count: > 0 } pending)
        {
            return false;
        }

        foreach (var worker in pending)
        {
            worker.Flush();
        }

        pending.Clear();
        return true;
    }

    /// <summary>Sends what is queued for <paramref name="worker"/> now, or at the end of the reactor's wake-up.</summary>
    public static void Flush(WorkerProcess worker)
    {
        if (!t_deferring)
        {
            worker.Flush();
            return;
        }

        var pending = t_pending ??= [];
        if (!pending.Contains(worker))
        {
            pending.Add(worker);
        }
    }
}
