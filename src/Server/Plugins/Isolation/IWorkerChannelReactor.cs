namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// An epoll reactor as the isolation path sees it: its index picks the worker channel its requests go through, and it
/// watches that channel in its own epoll set, so an answer wakes the reactor directly (docs/isolation.md, "Batching").
/// </summary>
internal interface IWorkerChannelReactor
{
    int Index { get; }

    /// <summary>Reactor thread: adds <paramref name="channel"/> to the reactor's epoll set; its answers are read there.</summary>
    void Watch(WorkerChannel channel);
}
