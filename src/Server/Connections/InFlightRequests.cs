namespace PluggableNet.Server.Connections;

/// <summary>
/// A v2 connection's offloaded requests still running, by request id, at most <c>Limits:MaxConcurrentRequests</c>.
/// A short list: completion scans it, and so does a cancel, which is cheaper than a dictionary at these sizes.
/// </summary>
internal sealed class InFlightRequests
{
    private readonly List<(uint Id, OffloadedRequest Request)> _requests = [];

    public int Count => _requests.Count;

    public (uint Id, OffloadedRequest Request) this[int index] => _requests[index];

    public void Add(uint id, OffloadedRequest request) => _requests.Add((id, request));

    /// <summary>Removes the request at <paramref name="index"/>; order is not kept (answers go out as they complete).</summary>
    public void RemoveAt(int index)
    {
        var last = _requests.Count - 1;
        _requests[index] = _requests[last];
        _requests.RemoveAt(last);
    }

    /// <summary>Where the request with <paramref name="id"/> is, or -1.</summary>
    public int IndexOf(uint id)
    {
        for (var i = 0; i < _requests.Count; i++)
        {
            if (_requests[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>When the oldest request started (<see cref="OffloadedRequest.StartedAtMs"/>), or <see cref="long.MaxValue"/> when none runs.</summary>
    public long OldestStart()
    {
        var oldest = long.MaxValue;
        foreach (var (_, request) in _requests)
        {
            oldest = Math.Min(oldest, request.StartedAtMs);
        }

        return oldest;
    }

    /// <summary>The connection is gone: every running request is abandoned (cancelled, its slot freed).</summary>
    public void AbandonAll()
    {
        foreach (var (_, request) in _requests)
        {
            request.Abandon();
        }

        _requests.Clear();
    }
}
