namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// The worker's channels, one per epoll reactor (docs/isolation.md, "Batching"): which one this thread's requests go
/// through, and completing a call from whichever socket brought its answer.
/// </summary>
internal sealed partial class WorkerProcess
{
    private WorkerChannel[] _channels = [];

    /// <summary>
    /// Reader thread or a reactor reading its channel: <paramref name="id"/>'s call gets its answer; its connection is
    /// added to <paramref name="toWake"/> the first time in this read.
    /// </summary>
    internal void Complete(byte kind, uint id, ReadOnlySpan<byte> payload, List<IsolatedCalls> toWake)
    {
        IWorkerCall? call;
        lock (_callsLock)
        {
            _calls.Remove(id, out call);
        }

        if (call?.Complete(kind, payload) is { } owner && owner.MarkWake())
        {
            toWake.Add(owner);
        }
    }

    private WorkerChannel? ChannelOfThisThread(out IWorkerChannelReactor? reactor)
    {
        reactor = IsolatedSends.Reactor;
        var channels = _channels;
        return reactor is not null && reactor.Index < channels.Length ? channels[reactor.Index] : null;
    }
}
