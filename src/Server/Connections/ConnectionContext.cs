using System.Net;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Plugins;

namespace PluggableNet.Server.Connections;

/// <summary>What every connection of one server shares: framing, limits, the plugin switch, logging, counters.</summary>
internal sealed class ConnectionContext(FrameCodec codec, ConnectionLimits limits, PluginSwitch plugins, OffloadGate offloadGate, HostMetrics metrics, ILogger logger, HostMeter? meter = null)
{
    private long _nextConnectionId;
    private volatile bool _draining;
    private AddressAdmission? _addresses;
    private Handover.DetachRequest? _detaching;

    public FrameCodec Codec { get; } = codec;

    public ConnectionLimits Limits { get; } = limits;

    public PluginSwitch Plugins { get; } = plugins;

    public OffloadGate OffloadGate { get; } = offloadGate;

    public HostMetrics Metrics { get; } = metrics;

    public ILogger Logger { get; } = logger;

    /// <summary>The histograms recorded on the hot path (when a listener is enabled); a meter of its own when none is given.</summary>
    public HostMeter Meter { get; } = meter ?? new HostMeter(metrics, new ServerReadings(), new System.Net.IPEndPoint(System.Net.IPAddress.None, 0));

    /// <summary>Per close reason, the connection.duration tags: built once, when the first connection closes for it.</summary>
    public CloseReasonTags CloseTags { get; } = new();

    /// <summary>Keeps the connection events a peer can repeat at will to one full line per second and kind.</summary>
    public ThrottledLog Throttled { get; } = new(logger);

    /// <summary>The per-address limits, shared by admission at accept and by the PROXY header's client.</summary>
    public AddressAdmission Addresses =>
        Volatile.Read(ref _addresses) ?? LazyInitializer.EnsureInitialized(ref _addresses, () => new AddressAdmission(Limits, Metrics, Throttled, Logger));

    /// <summary>Set when shutdown starts: connections close as soon as they have nothing left to answer.</summary>
    public bool Draining => _draining;

    public void StartDraining() => _draining = true;

    /// <summary>
    /// The open detach batch (issue 23), or null: connections between requests leave while it is open
    /// (<see cref="ConnectionStep.Detach"/>). Set and cleared by <see cref="PluggableServer"/>.
    /// </summary>
    public Handover.DetachRequest? Detaching
    {
        get => Volatile.Read(ref _detaching);
        set => Volatile.Write(ref _detaching, value);
    }

    /// <summary>
    /// A connection ran out of a limit: counted under its kind and logged (throttled) with how long the limit ran. Does
    /// nothing for a reason that is no timeout.
    /// </summary>
    public void CountTimeout(CloseReason reason, long connectionId, EndPoint? peer, long elapsedMs, long now)
    {
        if (EventKinds.TimeoutOf(reason) is { } kind)
        {
            Metrics.Timeout(kind);
            if (Throttled.ShouldLog(EventKinds.Of(kind), now))
            {
                ConnectionLog.TimedOut(Logger, connectionId, peer, reason.ToString(), elapsedMs);
            }
        }
    }

    public long NextConnectionId() => Interlocked.Increment(ref _nextConnectionId);
}
