namespace PluggableNet.Host.Diagnostics;

/// <summary>Counters shared by the transports and read by the status channel and tests.</summary>
public sealed class HostMetrics
{
    private long _openConnections;
    private long _acceptedConnections;
    private long _rejectedConnections;
    private long _requests;
    private long _protocolErrors;
    private long _pluginFaults;
    private long _timeouts;
    private int _activeReactors;
    private long _reactorMigrations;

    public long OpenConnections => Volatile.Read(ref _openConnections);

    public long AcceptedConnections => Volatile.Read(ref _acceptedConnections);

    public long RejectedConnections => Volatile.Read(ref _rejectedConnections);

    /// <summary>Requests answered (or failed) since start.</summary>
    public long Requests => Volatile.Read(ref _requests);

    public long ProtocolErrors => Volatile.Read(ref _protocolErrors);

    public long PluginFaults => Volatile.Read(ref _pluginFaults);

    public long Timeouts => Volatile.Read(ref _timeouts);

    /// <summary>Epoll reactors taking connections now (<c>Server:ReactorThreads=auto</c> varies it); 0 on the Sockets transport.</summary>
    public int ActiveReactors => Volatile.Read(ref _activeReactors);

    /// <summary>Connections moved from one reactor to another since start.</summary>
    public long ReactorMigrations => Volatile.Read(ref _reactorMigrations);

    internal long ConnectionOpened()
    {
        Interlocked.Increment(ref _acceptedConnections);
        return Interlocked.Increment(ref _openConnections);
    }

    internal long ConnectionClosed() => Interlocked.Decrement(ref _openConnections);

    internal void ConnectionRejected() => Interlocked.Increment(ref _rejectedConnections);

    internal void AddRequests(long count) => Interlocked.Add(ref _requests, count);

    internal void ProtocolError() => Interlocked.Increment(ref _protocolErrors);

    internal void PluginFault() => Interlocked.Increment(ref _pluginFaults);

    internal void Timeout() => Interlocked.Increment(ref _timeouts);

    internal void SetActiveReactors(int count) => Volatile.Write(ref _activeReactors, count);

    internal void ReactorMigration() => Interlocked.Increment(ref _reactorMigrations);
}
