using Microsoft.Extensions.Logging;
using PluggableNet.Host.Diagnostics;
using PluggableNet.Host.Framing;
using PluggableNet.Host.Plugins;

namespace PluggableNet.Host.Connections;

/// <summary>What every connection of one server shares: framing, limits, the plugin switch, logging, counters.</summary>
internal sealed class ConnectionContext(FrameCodec codec, ConnectionLimits limits, PluginSwitch plugins, OffloadGate offloadGate, HostMetrics metrics, ILogger logger)
{
    private long _nextConnectionId;
    private volatile bool _draining;

    public FrameCodec Codec { get; } = codec;

    public ConnectionLimits Limits { get; } = limits;

    public PluginSwitch Plugins { get; } = plugins;

    public OffloadGate OffloadGate { get; } = offloadGate;

    public HostMetrics Metrics { get; } = metrics;

    public ILogger Logger { get; } = logger;

    /// <summary>Keeps the connection events a peer can repeat at will to one full line per second and kind.</summary>
    public ThrottledLog Throttled { get; } = new(logger);

    /// <summary>Set when shutdown starts: connections close as soon as they have nothing left to answer.</summary>
    public bool Draining => _draining;

    public void StartDraining() => _draining = true;

    public long NextConnectionId() => Interlocked.Increment(ref _nextConnectionId);
}
