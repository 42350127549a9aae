using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;

namespace PluggableNet.Server.Diagnostics;

/// <summary>
/// The <c>PluggableNet</c> <see cref="Meter"/>: every figure an operator watches, as OpenTelemetry-style instruments
/// named after Kestrel's (<c>kestrel.active_connections</c> → <c>pluggablenet.active_connections</c>).
/// </summary>
/// <remarks>
/// Counts live in <see cref="HostMetrics"/> and <see cref="PluginCounters"/> and are read by observable instruments
/// when a listener collects, so the hot path pays for counting only. The histograms are recorded where things
/// happen, only while a listener is enabled (<see cref="Instrument.Enabled"/>), with tag arrays built once.
/// Tags are bounded: endpoint, plugin name and version, reasons and kinds from fixed lists; never a peer or a
/// connection id. docs/observability.md lists every instrument.
/// </remarks>
internal sealed class HostMeter : IDisposable
{
    public const string MeterName = "PluggableNet";

    /// <summary>
    /// While <c>pluggablenet.request.duration</c> is listened to, one inline request in this many is timed, per
    /// connection (the first one included): two clock reads and a tagged record cost more than a small plugin call.
    /// </summary>
    public const int InlineTimingInterval = 64;

    /// <summary>Distinct plugin versions reported; beyond it the oldest one's series goes.</summary>
    private const int MaxPluginVersions = 64;

    private static readonly double[] s_connectionBuckets = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
    private static readonly double[] s_requestBuckets = [0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly double[] s_swapBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly HostMetrics _metrics;
    private readonly ServerReadings _readings;
    private readonly Lock _pluginsLock = new();
    private readonly List<PluginCounters> _plugins = [];
    private readonly string _endpoint;
    private KeyValuePair<string, object?>[] _endPointTags;

    // endpoint: the endpoint's name (Endpoints:<Name>), the pluggablenet.endpoint tag of every measurement.
    public HostMeter(HostMetrics metrics, ServerReadings readings, IPEndPoint endPoint, IMeterFactory? meterFactory = null, string endpoint = "Default")
    {
        _metrics = metrics;
        _readings = readings;
        _endpoint = endpoint;
        _endPointTags = EndPointTags(endPoint, endpoint);
        var version = typeof(HostMeter).Assembly.GetName().Version?.ToString(3);

        // One meter per endpoint: the factory hands out one meter per name, version and tags, and each endpoint disposes its own.
        var options = new MeterOptions(MeterName) { Version = version, Tags = [new(Tags.Endpoint, endpoint)] };
        Meter = meterFactory?.Create(options) ?? new Meter(options);

        Meter.CreateObservableUpDownCounter("pluggablenet.active_connections", () => Tagged(_metrics.OpenConnections), "{connection}", "Connections admitted and not yet closed.");
        Meter.CreateObservableCounter("pluggablenet.accepted_connections", () => Tagged(_metrics.AcceptedConnections), "{connection}", "Connections accepted, rejected ones included.");
        Meter.CreateObservableCounter("pluggablenet.v2_connections", () => Tagged(_metrics.V2Connections), "{connection}", "Connections that negotiated protocol v2.");
        Meter.CreateObservableCounter("pluggablenet.rejected_connections", () => ByKind<RefusalKind>(Tags.ErrorType, _metrics.RejectedOf), "{connection}", "Connections closed at once at admission, by limit: max_connections, open_files, address_connections, address_rate.");
        Meter.CreateObservableCounter("pluggablenet.address.untracked", () => Tagged(_metrics.UntrackedAddresses), "{connection}", "Connections admitted without per-address limits: their set of the bounded address table was full.");
        Meter.CreateObservableCounter("pluggablenet.accept.pauses", () => Tagged(_metrics.AcceptPauses), "{pause}", "Times accepting paused because the open files limit left less than half the reserve of descriptors free.");
        ConnectionDuration = Meter.CreateHistogram<double>(
            "pluggablenet.connection.duration", "s", "How long connections stayed open, by close reason.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_connectionBuckets });
        Meter.CreateObservableCounter("pluggablenet.requests", ObserveRequests, "{request}", "Requests answered (or failed), by plugin name and version.");
        RequestDuration = Meter.CreateHistogram<double>(
            "pluggablenet.request.duration", "s", $"Time in the plugin per request: every offloaded one, one inline one in {InlineTimingInterval} per connection (the first on each connection included).", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_requestBuckets });
        Meter.CreateObservableCounter("pluggablenet.network.io", ObserveIo, "By", "Bytes received from and sent to connections.");
        Meter.CreateObservableCounter("pluggablenet.protocol_errors", () => ByKind<ProtocolErrorKind>(Tags.ErrorType, _metrics.ProtocolErrorsOf), "{error}", "Connections closed for a malformed header, by reason.");
        Meter.CreateObservableCounter("pluggablenet.timeouts", () => ByKind<TimeoutKind>(Tags.TimeoutKind, _metrics.TimeoutsOf), "{timeout}", "Connections closed by a limit running out, by kind.");
        Meter.CreateObservableCounter("pluggablenet.plugin.faults", () => ByKind<PluginFaultKind>(Tags.ErrorType, _metrics.PluginFaultsOf), "{fault}", "Plugin calls that threw or answered too much.");
        Meter.CreateObservableUpDownCounter("pluggablenet.offloads.active", () => Tagged(_readings.OffloadsRunning()), "{request}", "Offloaded requests running on the thread pool.");
        Meter.CreateObservableUpDownCounter("pluggablenet.offloads.queued", () => Tagged(_metrics.WaitingForOffloadSlot), "{connection}", "Connections with a request waiting for an offload slot.");
        Meter.CreateObservableUpDownCounter("pluggablenet.offloads.abandoned", () => Tagged(_readings.OffloadsAbandoned()), "{request}", "Offloaded calls still running after their connection went away.");
        Meter.CreateObservableCounter("pluggablenet.backpressure.pauses", () => Tagged(_metrics.BackpressurePauses), "{pause}", "Times a connection stopped being read because its unsent answers passed Limits:MaxPendingWriteBytes.");
        Meter.CreateObservableUpDownCounter("pluggablenet.backpressure.paused_connections", () => Tagged(_metrics.PausedConnections), "{connection}", "Connections not being read right now because of unsent answers.");
        Meter.CreateObservableGauge("pluggablenet.reactors.active", () => Tagged(_metrics.ActiveReactors), "{reactor}", "Epoll reactors taking connections now (Server:ReactorThreads=auto varies it; 0 on the Sockets transport).");
        Meter.CreateObservableCounter("pluggablenet.reactor.migrations", () => Tagged(_metrics.ReactorMigrations), "{connection}", "Connections moved between reactors at a frame boundary.");
        Meter.CreateObservableUpDownCounter("pluggablenet.sessions.active", () => Tagged(_readings.ActiveSessions()), "{session}", "Sessions open now (connections of a session plugin).");
        Meter.CreateObservableCounter("pluggablenet.sessions.pushes", ObservePushes, "{push}", "Pushes to a session, by outcome: queued, dropped, closed (slow consumer), gone, refused (retired generation).");
        Meter.CreateObservableCounter("pluggablenet.sessions.broadcasts", () => Tagged(_readings.Broadcasts()), "{broadcast}", "Broadcasts to a group; their deliveries are counted in pluggablenet.sessions.pushes.");
        Meter.CreateObservableCounter("pluggablenet.sessions.migrations", ObserveMigrations, "{migration}", "State moves at a swap of a session plugin, by outcome: succeeded, rolled_back.");
        Meter.CreateObservableGauge("pluggablenet.sessions.migration.pause", () => Tagged(_readings.Migrations().LastPauseMicroseconds / 1_000_000.0), "s", "How long the last state move kept sessions paused.");
        Swaps = Meter.CreateCounter<long>("pluggablenet.swaps", "{swap}", "Plugin swap attempts, by trigger and outcome.");
        SwapDuration = Meter.CreateHistogram<double>(
            "pluggablenet.swap.duration", "s", "Plugin swap times, by phase: load, drain, total.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_swapBuckets });
        Meter.CreateObservableGauge("pluggablenet.plugin.retired_generations", () => Tagged(_readings.RetiredGenerations()), "{generation}", "Swapped-out plugin generations whose code is still loaded; back to 0 after a few full GCs.");
        Meter.CreateObservableGauge("pluggablenet.plugin.generation", ObserveGeneration, "{generation}", "The number of the plugin generation serving new requests.");
    }

    public Meter Meter { get; }

    /// <summary><c>pluggablenet.connection.duration</c>: recorded by the close bookkeeping, with its reason's tags.</summary>
    public Histogram<double> ConnectionDuration { get; }

    /// <summary><c>pluggablenet.request.duration</c>: recorded around each plugin call while enabled.</summary>
    public Histogram<double> RequestDuration { get; }

    public Counter<long> Swaps { get; }

    public Histogram<double> SwapDuration { get; }

    /// <summary><c>server.address</c>, <c>server.port</c>, <c>network.transport</c>: on every instrument but request.duration.</summary>
    public KeyValuePair<string, object?>[] EndPointTagSet => Volatile.Read(ref _endPointTags);

    /// <summary>The bound address, known once the transport listens (the real port when 0 was configured).</summary>
    public void Listening(IPEndPoint endPoint) => Volatile.Write(ref _endPointTags, EndPointTags(endPoint, _endpoint));

    private IEnumerable<Measurement<long>> ObservePushes()
    {
        var endPoint = EndPointTagSet;
        for (var outcome = 0; outcome < ServerReadings.PushOutcomes.Length; outcome++)
        {
            yield return new Measurement<long>(_readings.Pushes(outcome), [.. endPoint, new(Tags.Outcome, ServerReadings.PushOutcomes[outcome])]);
        }
    }

    private IEnumerable<Measurement<long>> ObserveMigrations()
    {
        var (succeeded, rolledBack, _) = _readings.Migrations();
        var endPoint = EndPointTagSet;
        yield return new Measurement<long>(succeeded, [.. endPoint, new(Tags.Outcome, "succeeded")]);
        yield return new Measurement<long>(rolledBack, [.. endPoint, new(Tags.Outcome, "rolled_back")]);
    }

    /// <summary>The counters of plugin <paramref name="name"/> <paramref name="version"/>: one set per version, whatever its generation.</summary>
    public PluginCounters ForPlugin(string name, string version)
    {
        lock (_pluginsLock)
        {
            foreach (var known in _plugins)
            {
                if (known.Name == name && known.Version == version)
                {
                    return known;
                }
            }

            var counters = new PluginCounters(name, version);
            if (_plugins.Count >= MaxPluginVersions)
            {
                _plugins.RemoveAt(0);
            }

            _plugins.Add(counters);
            return counters;
        }
    }

    /// <summary>The plugin versions counted so far, oldest first.</summary>
    public IReadOnlyList<PluginCounters> PluginVersions()
    {
        lock (_pluginsLock)
        {
            return [.. _plugins];
        }
    }

    /// <summary>One swap attempt: counted by trigger and outcome; its phases timed (load and drain only when known).</summary>
    public void SwapEnded(string trigger, bool succeeded, TimeSpan total, TimeSpan? load = null, TimeSpan? drain = null)
    {
        Swaps.Add(1, new KeyValuePair<string, object?>(Tags.SwapTrigger, trigger), new KeyValuePair<string, object?>(Tags.SwapOutcome, succeeded ? "success" : "failure"));
        if (!SwapDuration.Enabled)
        {
            return;
        }

        var outcome = new KeyValuePair<string, object?>(Tags.SwapOutcome, succeeded ? "success" : "failure");
        if (load is { } loaded)
        {
            SwapDuration.Record(loaded.TotalSeconds, new KeyValuePair<string, object?>(Tags.SwapPhase, "load"), outcome);
        }

        if (drain is { } drained)
        {
            SwapDuration.Record(drained.TotalSeconds, new KeyValuePair<string, object?>(Tags.SwapPhase, "drain"), outcome);
        }

        SwapDuration.Record(total.TotalSeconds, new KeyValuePair<string, object?>(Tags.SwapPhase, "total"), outcome);
    }

    public void Dispose() => Meter.Dispose();

    private static KeyValuePair<string, object?>[] EndPointTags(IPEndPoint endPoint, string endpoint) =>
    [
        new(Tags.Endpoint, endpoint),
        new(Tags.ServerAddress, endPoint.Address.ToString()),
        new(Tags.ServerPort, endPoint.Port),
        new(Tags.NetworkTransport, "tcp"),
    ];

    private Measurement<long> Tagged(long value) => new(value, EndPointTagSet);

    private Measurement<double> Tagged(double value) => new(value, EndPointTagSet);

    private IEnumerable<Measurement<long>> ObserveRequests()
    {
        PluginCounters[] plugins;
        lock (_pluginsLock)
        {
            plugins = [.. _plugins];
        }

        var endPoint = EndPointTagSet;
        foreach (var plugin in plugins)
        {
            yield return new Measurement<long>(plugin.Requests, [.. endPoint, .. plugin.Tags]);
        }
    }

    private IEnumerable<Measurement<long>> ObserveIo()
    {
        var endPoint = EndPointTagSet;
        yield return new Measurement<long>(_metrics.BytesReceived, [.. endPoint, new(Tags.NetworkIoDirection, "receive")]);
        yield return new Measurement<long>(_metrics.BytesSent, [.. endPoint, new(Tags.NetworkIoDirection, "transmit")]);
    }

    private IEnumerable<Measurement<long>> ByKind<TKind>(string tag, Func<TKind, long> read)
        where TKind : struct, Enum
    {
        var endPoint = EndPointTagSet;
        foreach (var kind in Enum.GetValues<TKind>())
        {
            yield return new Measurement<long>(read(kind), [.. endPoint, new(tag, SnakeCase(kind.ToString()))]);
        }
    }

    private Measurement<int> ObserveGeneration()
    {
        var (plugin, number) = _readings.CurrentGeneration();
        return new Measurement<int>(number, [.. EndPointTagSet, .. plugin.Tags]);
    }

    /// <summary><c>ReceiveRate</c> → <c>receive_rate</c>, as OpenTelemetry writes enumerated values.</summary>
    internal static string SnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLower(name[i], CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>Tag names: OpenTelemetry's where one exists, <c>pluggablenet.*</c> for what only a plugin host has.</summary>
    public static class Tags
    {
        public const string ServerAddress = "server.address";

        /// <summary>The endpoint's name: <c>Endpoints:&lt;Name&gt;</c>, or <c>Default</c> for the flat keys' one.</summary>
        public const string Endpoint = "pluggablenet.endpoint";
        public const string ServerPort = "server.port";
        public const string NetworkTransport = "network.transport";
        public const string NetworkIoDirection = "network.io.direction";
        public const string ErrorType = "error.type";
        public const string CloseReason = "pluggablenet.close.reason";
        public const string TimeoutKind = "pluggablenet.timeout.kind";
        public const string PluginName = "pluggablenet.plugin.name";
        public const string PluginVersion = "pluggablenet.plugin.version";
        public const string PluginExecution = "pluggablenet.plugin.execution";
        public const string SwapTrigger = "pluggablenet.swap.trigger";
        public const string SwapOutcome = "pluggablenet.swap.outcome";
        public const string SwapPhase = "pluggablenet.swap.phase";
        public const string Outcome = "pluggablenet.outcome";
    }
}
