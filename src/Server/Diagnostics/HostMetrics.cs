namespace PluggableNet.Server.Diagnostics;

/// <summary>Counters shared by the transports and read by the status channel, the <see cref="HostMeter"/> and tests.</summary>
/// <remarks>
/// What the hot path counts on every wake-up (requests, bytes) goes to <see cref="StripedCounter"/>s, one cell per
/// processor, so the reactors never contend on a line; per-connection events (open, close, timeouts) are rare enough
/// for one shared atomic. Nothing here allocates once constructed.
/// </remarks>
internal sealed partial class HostMetrics
{
    private readonly StripedCounter _requests = new();
    private readonly StripedCounter _bytesReceived = new();
    private readonly StripedCounter _bytesSent = new();
    private readonly long[] _timeoutsByKind = new long[Enum.GetValues<TimeoutKind>().Length];
    private readonly long[] _protocolErrorsByKind = new long[Enum.GetValues<ProtocolErrorKind>().Length];
    private readonly long[] _pluginFaultsByKind = new long[Enum.GetValues<PluginFaultKind>().Length];
    private readonly long[] _rejectionsByKind = new long[Enum.GetValues<RefusalKind>().Length];
    private long _openConnections;
    private long _acceptedConnections;
    private long _untrackedAddresses;
    private long _acceptPauses;
    private long _v2Connections;
    private long _backpressurePauses;
    private long _pausedConnections;
    private long _waitingForOffloadSlot;
    private int _activeReactors;
    private long _reactorMigrations;

    public long OpenConnections => Volatile.Read(ref _openConnections);

    public long AcceptedConnections => Volatile.Read(ref _acceptedConnections);

    /// <summary>Connections closed at once at admission, whatever the limit (<see cref="RejectedOf"/> by kind).</summary>
    public long RejectedConnections => Sum(_rejectionsByKind);

    /// <summary>Connections admitted without per-address accounting because their set of the address table was full.</summary>
    public long UntrackedAddresses => Volatile.Read(ref _untrackedAddresses);

    /// <summary>Times accepting paused because the open-files limit left too few descriptors free.</summary>
    public long AcceptPauses => Volatile.Read(ref _acceptPauses);

    public long RejectedOf(RefusalKind kind) => Volatile.Read(ref _rejectionsByKind[(int)kind]);

    /// <summary>Connections that negotiated protocol v2, since start.</summary>
    public long V2Connections => Volatile.Read(ref _v2Connections);

    /// <summary>Requests answered (or failed) since start.</summary>
    public long Requests => _requests.Value;

    /// <summary>Bytes read from connections' sockets since start.</summary>
    public long BytesReceived => _bytesReceived.Value;

    /// <summary>Bytes written to connections' sockets since start.</summary>
    public long BytesSent => _bytesSent.Value;

    public long ProtocolErrors => Sum(_protocolErrorsByKind);

    public long PluginFaults => Sum(_pluginFaultsByKind);

    public long Timeouts => Sum(_timeoutsByKind);

    /// <summary>Times a connection stopped being read because its unsent answers passed <c>Limits:MaxPendingWriteBytes</c>.</summary>
    public long BackpressurePauses => Volatile.Read(ref _backpressurePauses);

    /// <summary>Connections not being read right now because of unsent answers.</summary>
    public long PausedConnections => Volatile.Read(ref _pausedConnections);

    /// <summary>Connections with a request waiting for an offload slot (<c>Limits:MaxConcurrentOffloads</c> reached).</summary>
    public long WaitingForOffloadSlot => Volatile.Read(ref _waitingForOffloadSlot);

    public long TimeoutsOf(TimeoutKind kind) => Volatile.Read(ref _timeoutsByKind[(int)kind]);

    public long ProtocolErrorsOf(ProtocolErrorKind kind) => Volatile.Read(ref _protocolErrorsByKind[(int)kind]);

    public long PluginFaultsOf(PluginFaultKind kind) => Volatile.Read(ref _pluginFaultsByKind[(int)kind]);

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

    internal void V2ConnectionOpened() => Interlocked.Increment(ref _v2Connections);

    internal void ConnectionRejected(RefusalKind kind = RefusalKind.MaxConnections) => Interlocked.Increment(ref _rejectionsByKind[(int)kind]);

    internal void AddressUntracked() => Interlocked.Increment(ref _untrackedAddresses);

    internal void AcceptPaused() => Interlocked.Increment(ref _acceptPauses);

    internal void AddRequests(long count) => _requests.Add(count);

    internal void Received(long bytes) => _bytesReceived.Add(bytes);

    internal void Sent(long bytes) => _bytesSent.Add(bytes);

    internal void ProtocolError(ProtocolErrorKind kind) => Interlocked.Increment(ref _protocolErrorsByKind[(int)kind]);

    internal void PluginFault(PluginFaultKind kind = PluginFaultKind.Exception) => Interlocked.Increment(ref _pluginFaultsByKind[(int)kind]);

    internal void Timeout(TimeoutKind kind) => Interlocked.Increment(ref _timeoutsByKind[(int)kind]);

    internal void ReadPaused()
    {
        Interlocked.Increment(ref _backpressurePauses);
        Interlocked.Increment(ref _pausedConnections);
    }

    internal void ReadResumed() => Interlocked.Decrement(ref _pausedConnections);

    internal void OffloadSlotWaitStarted() => Interlocked.Increment(ref _waitingForOffloadSlot);

    internal void OffloadSlotWaitEnded() => Interlocked.Decrement(ref _waitingForOffloadSlot);

    private static long Sum(long[] counts)
    {
        long sum = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            sum += Volatile.Read(ref counts[i]);
        }

        return sum;
    }

    internal void SetActiveReactors(int count) => Volatile.Write(ref _activeReactors, count);

    internal void ReactorMigration() => Interlocked.Increment(ref _reactorMigrations);
}
