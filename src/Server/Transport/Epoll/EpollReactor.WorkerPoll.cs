using System.Diagnostics;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// After a pass that sent requests to an isolated plugin's worker, the reactor polls its epoll set for a short while
/// before it sleeps (docs/isolation.md, "Latency"). The worker usually answers within tens of microseconds; asleep in
/// <c>epoll_wait</c>, the reactor would pay a thread wake-up on top of that for every answer, which on an idle core
/// is most of the isolation's added latency at depth 1. Under load the poll returns at once: events are waiting.
/// </summary>
internal sealed unsafe partial class EpollReactor
{
    // Set by a pass that sent requests to a worker: the next wait may poll first.
    private bool _awaitingWorker;
    private Plugins.Isolation.BriefPoll _workerPoll;

    /// <summary>Events that arrived within the poll window; 0 if none did or it does not spin now (then the loop sleeps as usual).</summary>
    private int PollForWorkerAnswers()
    {
        _awaitingWorker = false;
        if (!_workerPoll.ShouldSpin())
        {
            return 0;
        }

        var deadline = Stopwatch.GetTimestamp() + Plugins.Isolation.BriefPoll.WindowTicks;
        int count;
        do
        {
            count = Libc.epoll_wait(_epfd, _events.Pointer, MaxEvents, 0);
        }
        while (count == 0 && Stopwatch.GetTimestamp() < deadline);

        if (count == 0)
        {
            _workerPoll.Miss();
        }
        else
        {
            _workerPoll.Hit();
        }

        return count;
    }
}
