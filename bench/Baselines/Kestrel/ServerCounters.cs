namespace PluggableNet.Baselines.Kestrel;

/// <summary>Live counters reported on the control channel.</summary>
internal sealed class ServerCounters
{
    private long _connections;
    private long _requests;

    public long Connections => Interlocked.Read(ref _connections);

    public long Requests => Interlocked.Read(ref _requests);

    public void ConnectionOpened() => Interlocked.Increment(ref _connections);

    public void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    /// <summary>Adds the answers of one read batch: one interlocked operation per batch, not per request.</summary>
    public void AddRequests(int count) => Interlocked.Add(ref _requests, count);
}
