using PluggableNet.Server.Diagnostics;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// The transport's reactors and how many of them are active: reactors <c>0 .. Active-1</c> watch the listener and take
/// connections; the others give theirs away at a frame boundary and sleep in <c>epoll_wait</c>.
/// </summary>
internal sealed class ReactorSet(HostMetrics metrics)
{
    private readonly List<EpollReactor> _reactors = [];
    private volatile int _active;

    public IReadOnlyList<EpollReactor> All => _reactors;

    public int Count => _reactors.Count;

    /// <summary>Reactors that take connections now.</summary>
    public int Active => _active;

    public HostMetrics Metrics { get; } = metrics;

    public void Add(EpollReactor reactor) => _reactors.Add(reactor);

    public void Clear() => _reactors.Clear();

    /// <summary>Makes the first <paramref name="active"/> reactors the active ones and tells every reactor to rebalance.</summary>
    public void SetActive(int active)
    {
        _active = Math.Clamp(active, 1, _reactors.Count);
        Metrics.SetActiveReactors(_active);
        foreach (var reactor in _reactors)
        {
            reactor.ActiveSetChanged();
        }
    }

    /// <summary>Connections of all reactors.</summary>
    public int TotalConnections()
    {
        var total = 0;
        foreach (var reactor in _reactors)
        {
            total += reactor.ConnectionCount;
        }

        return total;
    }
}
