using System.Net;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Diagnostics;

namespace PluggableNet.Server.Connections;

/// <summary>
/// What happens to every connection between the transport accepting it and closing it, written once for all
/// transports: whether to accept at all (the descriptors left under the open-files limit), admission against
/// <c>Limits:MaxConnections</c> and the per-address limits, the periodic timeout decision, close bookkeeping, and
/// knowing when a drain has nothing left to wait for.
/// </summary>
internal sealed partial class ConnectionLifecycle
{
    private readonly int _maxConnections;
    private readonly long _scanIntervalMs;

    // Refusals are a rate a peer controls: the first of a second is logged at once, the rest summed up by the scan.
    private readonly PerSecondLimit _rejectionLine = new();
    private readonly PerSecondLimit _descriptorRejectionLine = new();
    private readonly PerSecondLimit _pauseLine = new();
    private readonly PerSecondLimit _resumeLine = new();
    private int _acceptPaused;
    private long _lastScanAt = Environment.TickCount64;
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConnectionLifecycle(ConnectionContext context, int maxConnections)
    {
        Context = context;
        _maxConnections = maxConnections;
        _scanIntervalMs = context.Limits.ScanIntervalMs;
        Headroom = new DescriptorHeadroom(() => context.Metrics.OpenConnections);
    }

    /// <summary>The descriptors the open-files limit leaves, as <see cref="MayAccept"/> judges them.</summary>
    public DescriptorHeadroom Headroom { get; init; }

    public ConnectionContext Context { get; }

    /// <summary>Connections admitted and not yet closed.</summary>
    public long Open => Context.Metrics.OpenConnections;

    /// <summary>How often a transport calls <see cref="DueClose"/> on each connection: faster while draining.</summary>
    public long ScanIntervalMs => Context.Draining ? 10 : _scanIntervalMs;

    /// <summary>
    /// Whether a transport may accept now: false while no more than half the reserve of descriptors is free under the
    /// open-files limit (the limit was lowered under the host, or something else took descriptors), so that even the
    /// moment a refused socket holds one is the runtime's. The transport then leaves new connections in the kernel's
    /// backlog and asks again after a pause (100 ms). Pauses are counted; the first of each run and the resumption are
    /// logged (at most once a second each). Between half the reserve and the reserve, sockets are accepted and
    /// refused at once by <see cref="TryAdmit"/>, so a client learns at once and the backlog does not fill with them.
    /// </summary>
    public bool MayAccept(long now)
    {
        if (Headroom.Estimate(now) is not { MayAccept: false } reading)
        {
            if (Volatile.Read(ref _acceptPaused) != 0 && Interlocked.Exchange(ref _acceptPaused, 0) != 0 && _resumeLine.TryEnter(now))
            {
                var resumed = Headroom.Estimate(now) ?? default;
                ConnectionLog.AcceptResumed(Context.Logger, resumed.Free, resumed.Limit);
            }

            return true;
        }

        if (Interlocked.Exchange(ref _acceptPaused, 1) == 0)
        {
            Context.Metrics.AcceptPaused();
            if (_pauseLine.TryEnter(now))
            {
                ConnectionLog.AcceptPaused(Context.Logger, reading.Free, reading.Limit, reading.InUse, Open, reading.Reserve / 2);
            }
        }

        return false;
    }

    /// <summary>
    /// Admits a newly accepted socket from <paramref name="peer"/>: <see cref="TryAdmit"/>, then, unless the PROXY
    /// protocol names the client later, the per-address limits (<see cref="AddressAdmission"/>). Its state machine, or
    /// null when refused: the caller closes the socket at once, without a word (nginx's <c>limit_conn</c> closes too).
    /// </summary>
    public FrameConnection? Admit(EndPoint? peer, long now, bool scannedFromAnotherThread = false)
    {
        if (!TryAdmit(now))
        {
            return null;
        }

        var slot = -1;
        if (!Context.Limits.ProxyProtocol && !Context.Addresses.TryAdmit(peer, now, out slot))
        {
            CountClosed();
            return null;
        }

        var connection = Create(peer, now, scannedFromAnotherThread);
        connection.AddressSlot = slot;
        return connection;
    }

    /// <summary>
    /// Counts a newly accepted socket in, or refuses it over <c>Limits:MaxConnections</c>, or when keeping it would
    /// leave less than the reserve of descriptors free under the open-files limit as it is now (counted by kind, and
    /// logged at most once a second since a peer controls the rate). A refused socket is closed by the caller, at once.
    /// </summary>
    public bool TryAdmit(long now)
    {
        var open = Context.Metrics.ConnectionOpened();
        if (open <= _maxConnections)
        {
            if (Headroom.Estimate(now) is not { KeepsReserve: false } descriptors)
            {
                return true;
            }

            Context.Metrics.ConnectionClosed();
            Context.Metrics.ConnectionRejected(RefusalKind.OpenFiles);
            if (_descriptorRejectionLine.TryEnter(now))
            {
                // The reading counted this connection in; what is free without it is one more.
                ConnectionLog.RejectedForDescriptors(Context.Logger, 1, descriptors.Free + 1, descriptors.Limit, descriptors.Reserve);
            }

            return false;
        }

        Context.Metrics.ConnectionClosed();
        Context.Metrics.ConnectionRejected();
        if (_rejectionLine.TryEnter(now))
        {
            ConnectionLog.Rejected(Context.Logger, 1, _maxConnections);
        }

        return false;
    }

    /// <summary>
    /// The state machine for an admitted connection; <paramref name="scannedFromAnotherThread"/> when the transport
    /// calls <see cref="DueClose"/> from a thread other than the connection's own (the sockets transport's timer).
    /// </summary>
    public FrameConnection Create(EndPoint? peer, long now, bool scannedFromAnotherThread = false)
    {
        var connection = new FrameConnection(Context, peer, now, scannedFromAnotherThread);
        if (Context.Logger.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.Accepted(Context.Logger, connection.Id, peer);
        }

        return connection;
    }

    /// <summary>
    /// The scan's verdict for one connection at <paramref name="now"/>: the reason to close it, or None. Timeouts
    /// are counted and logged here. A drain leaves a connection alone while a request may be on its way in.
    /// On a timer thread only for connections created <c>scannedFromAnotherThread</c>.
    /// </summary>
    public CloseReason DueClose(ITransportConnection connection, long now)
    {
        var machine = connection.Machine;
        var reason = machine.DueClose(now);
        if (reason == CloseReason.None || (reason == CloseReason.Shutdown && connection.RequestMayBeInFlight))
        {
            return CloseReason.None;
        }

        Context.CountTimeout(reason, machine.Id, machine.Peer, machine.Elapsed(now), now);
        return reason;
    }

    /// <summary>
    /// Once per scan, whatever the connections: sums up the throttled log lines whose second is over, and gives back the
    /// memory of large buffers nobody uses any more.
    /// </summary>
    public void OnScan(long now)
    {
        Volatile.Write(ref _lastScanAt, now);
        if (_rejectionLine.TakeSuppressed(now) is var rejected and > 0)
        {
            ConnectionLog.Rejected(Context.Logger, rejected, _maxConnections);
        }

        if (_descriptorRejectionLine.TakeSuppressed(now) is var refusedForDescriptors and > 0 && Headroom.Current(now) is { } descriptors)
        {
            ConnectionLog.RejectedForDescriptors(Context.Logger, refusedForDescriptors, descriptors.Free, descriptors.Limit, descriptors.Reserve);
        }

        Context.Throttled.Flush(now);
        Context.Plugins.Sessions.FlushLog(now);
        ConnectionBuffers.ReturnIdleMemory(now);
    }

    /// <summary>How long since a transport loop last scanned: the liveness of the reactors (or the sockets transport's timer).</summary>
    public TimeSpan SinceLastScan(long now) => TimeSpan.FromMilliseconds(Math.Max(0, now - Volatile.Read(ref _lastScanAt)));

    /// <summary>A socket admitted by <see cref="TryAdmit"/> closed before it got a state machine.</summary>
    public void Abandoned() => CountClosed();

    /// <summary>The transport closed <paramref name="connection"/>'s socket: release its buffers, count it, log it.</summary>
    public void Closed(FrameConnection connection)
    {
        if (Context.Logger.IsEnabled(LogLevel.Debug))
        {
            // The state it closed in, read before its buffers go.
            ConnectionLog.Closed(Context.Logger, connection.Id, connection.Peer, connection.CloseReason.ToString(), connection.State.ToString(), connection.Requests);
        }

        connection.Release();
        Context.Addresses.Release(connection.AddressSlot);
        var duration = Context.Meter.ConnectionDuration;
        if (duration.Enabled)
        {
            duration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(connection.OpenedAt).TotalSeconds, Context.CloseTags.For(connection.CloseReason, Context.Meter));
        }

        CountClosed();
    }

    /// <summary>Connections close as soon as they have nothing left to answer; the task completes when none is left.</summary>
    public Task DrainAsync()
    {
        Context.StartDraining();
        if (Open == 0)
        {
            _allClosed.TrySetResult();
        }

        return _allClosed.Task;
    }

    private void CountClosed()
    {
        if (Context.Metrics.ConnectionClosed() == 0 && Context.Draining)
        {
            _allClosed.TrySetResult();
        }
    }
}
