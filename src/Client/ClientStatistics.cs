namespace PluggableNet.Client;

/// <summary>The counts behind <see cref="ClientCounters"/>, bumped from any thread.</summary>
internal sealed class ClientStatistics
{
    private long _resent;
    private long _retried;
    private long _connectionFailures;
    private long _timeouts;

    public void Resent() => Interlocked.Increment(ref _resent);

    public void Retried() => Interlocked.Increment(ref _retried);

    public void ConnectionFailure() => Interlocked.Increment(ref _connectionFailures);

    public void TimedOut(int count = 1) => Interlocked.Add(ref _timeouts, count);

    public ClientCounters Snapshot() => new(
        Interlocked.Read(ref _resent),
        Interlocked.Read(ref _retried),
        Interlocked.Read(ref _connectionFailures),
        Interlocked.Read(ref _timeouts));
}
