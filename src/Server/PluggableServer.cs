using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Plugins.Isolation;
using PluggableNet.Server.Sessions;
using PluggableNet.Server.Transport;
using PluggableNet.Server.Transport.Epoll;
using PluggableNet.Server.Transport.Sockets;
using PluggableNet.Server.Transport.Tls;

namespace PluggableNet.Server;

/// <summary>
/// The server without the hosting around it: loads the configured plugin, starts the chosen transport, swaps
/// plugins, stops gracefully. The generic host, the CLI and the tests all drive this one class.
/// </summary>
public sealed partial class PluggableServer : IAsyncDisposable
{
    /// <summary>How long a stop waits, after its deadline, for a swap whose drain it cut to dispose the old generation.</summary>
    private static readonly TimeSpan s_swapEndGrace = TimeSpan.FromSeconds(1);

    /// <summary>How long a reload waits for a plugin folder that a deploy is renaming into place.</summary>
    private static readonly TimeSpan s_deployGap = TimeSpan.FromSeconds(2);

    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TransportOptions _transportOptions;
    private readonly TlsHandshake? _tlsHandshake;
    private ITransport _transport = null!;
    private readonly SemaphoreSlim _swapLock = new(1, 1);
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private readonly ConnectionLifecycle _lifecycle;
    private readonly CancellationTokenSource _swapDrainCut = new();
    private readonly Lock _stopLock = new();
    private string _pluginName;
    private volatile bool _stopped;
    private volatile bool _listening;
    private Task? _stop;

    private PluggableServer(ServerSettings settings, PluginFactory factory, PluginSwitch plugins, ILoggerFactory loggerFactory, IMeterFactory? meterFactory, TlsCertificates? certificates)
    {
        Settings = settings;
        Factory = factory;
        Plugins = plugins;
        plugins.Retired.RootPathReports = settings.UnloadReport;
        var offloadGate = new OffloadGate(settings.MaxConcurrentOffloads, settings.MaxAbandonedOffloads);
        Meter = new HostMeter(
            Metrics,
            new ServerReadings
            {
                OffloadsRunning = () => offloadGate.Running,
                OffloadsAbandoned = () => offloadGate.Abandoned,
                RetiredGenerations = () => plugins.Retired.StillLoaded,
                CurrentGeneration = () => (plugins.Current.Counters, plugins.Current.Number),
                ActiveSessions = () => plugins.Sessions.Count,
                Pushes = outcome => plugins.Sessions.Metrics.PushesOf((PushResult)outcome),
                Broadcasts = () => plugins.Sessions.Metrics.Broadcasts,
                Migrations = () => (plugins.Sessions.Metrics.Migrations, plugins.Sessions.Metrics.MigrationFailures, plugins.Sessions.Metrics.LastMigrationMicroseconds),
            },
            settings.EndPoint,
            meterFactory,
            settings.Name);
        plugins.Current.Counters = Meter.ForPlugin(plugins.Current.Name, plugins.Current.Version);
        IsolationInstruments.Register(Meter, factory.IsolationCounters);
        _pluginName = plugins.Current.Name;
        _logger = loggerFactory.CreateLogger("PluggableNet.Server");
        var context = new ConnectionContext(
            settings.ToCodec(),
            settings.ToLimits(),
            plugins,
            offloadGate,
            Metrics,
            loggerFactory.CreateLogger("PluggableNet.Connection"),
            Meter);
        // Connections never take the descriptors the runtime itself needs (at the open-files limit .NET aborts): the
        // lifecycle pauses accepting against the limit and the descriptors in use as they are at each accept.
        _lifecycle = new ConnectionLifecycle(context, settings.MaxConnections);
        _transportOptions = new TransportOptions(settings.EndPoint, settings.Backlog, settings.ReactorThreads, settings.AdaptiveReactors, settings.ReactorMigrationDrillMs, null, settings.ToKeepAlive());
        _loggerFactory = loggerFactory;
        Certificates = certificates;

        // TLS runs on SslStream, which the sockets transport drives; the epoll reactors move raw bytes only (docs/tls.md).
        Transport = certificates is null ? settings.Transport : TransportKind.Sockets;
        if (certificates is not null)
        {
            TlsInstruments.Register(Meter, certificates);
        }

        _tlsHandshake = certificates is null ? null : new TlsHandshake(certificates, context);
    }

    public ServerSettings Settings { get; }

    /// <summary>The endpoint this server is: <c>Endpoints:&lt;Name&gt;</c>, or <c>Default</c> for the flat keys.</summary>
    public string Name => Settings.Name;

    /// <summary>The transport serving: <c>Server:Transport</c>, except that a TLS endpoint is always served by the sockets transport.</summary>
    internal TransportKind Transport { get; }

    /// <summary>The certificates of a TLS endpoint (<c>Tls:Enabled</c>), swapped live when their files change; null otherwise.</summary>
    internal TlsCertificates? Certificates { get; }

    internal PluginFactory Factory { get; }

    internal PluginSwitch Plugins { get; }

    internal HostMetrics Metrics { get; } = new();

    /// <summary>The <c>PluggableNet</c> meter: <see cref="Metrics"/> and the plugin figures as instruments.</summary>
    internal HostMeter Meter { get; }

    /// <summary>
    /// <c>/readyz</c>: listening, a plugin loaded, not stopping. False from the first moment of a stop, through
    /// <c>Health:DrainDelay</c> while the listener still accepts, so a balancer stops sending first.
    /// </summary>
    /// <remarks>Also false while a plugin in <c>Isolation Process</c> has given up after too many crashes, until it is reloaded.</remarks>
    public bool IsReady => _listening && !_stopped && Plugins.Current.Plugin is not Plugins.Isolation.IsolatedPlugin { GaveUp: true };

    /// <summary><c>/healthz</c>: the transport's loops still run their periodic scan (at least every second).</summary>
    public bool IsLive => _listening && _lifecycle.SinceLastScan(Environment.TickCount64) < TimeSpan.FromSeconds(10);

    /// <summary>False for a plugin registered in DI: it has no folder to reload from, so it is never swapped.</summary>
    public bool IsSwappable { get; private init; } = true;

    /// <summary>The bound address: the real port when 0 was configured.</summary>
    public IPEndPoint LocalEndPoint => _transport.LocalEndPoint;

    public TimeSpan Uptime => Stopwatch.GetElapsedTime(_startedAt);

    /// <summary>Loads the configured plugin and starts listening. Throws <see cref="PluginLoadException"/> or a socket error.</summary>
    public static PluggableServer Start(ServerSettings settings, IConfiguration configuration, ILoggerFactory loggerFactory, IMeterFactory? meterFactory = null) =>
        Start(settings, configuration, loggerFactory, meterFactory, inherited: null);

    /// <summary>As <see cref="Start(ServerSettings, IConfiguration, ILoggerFactory, IMeterFactory?)"/>, serving on <paramref name="inherited"/> when given.</summary>
    internal static PluggableServer Start(ServerSettings settings, IConfiguration configuration, ILoggerFactory loggerFactory, IMeterFactory? meterFactory, InheritedListener? inherited, ILogicPlugin? fixedPlugin = null)
    {
        var server = Prepare(settings, configuration, loggerFactory, meterFactory, fixedPlugin);
        server.Listen(inherited);
        return server;
    }

    /// <summary>
    /// Everything of a start but the listener: certificates read, the plugin loaded. A host upgrade's new host prepares
    /// every endpoint this way before it asks the old host for the sockets (docs/upgrade.md); then <see cref="Listen"/>.
    /// </summary>
    internal static PluggableServer Prepare(ServerSettings settings, IConfiguration configuration, ILoggerFactory loggerFactory, IMeterFactory? meterFactory, ILogicPlugin? fixedPlugin = null)
    {
        // Certificates first: a bad one stops the start before any plugin code is loaded, naming the key and the file.
        TlsCertificates? certificates = null;
        if (settings.Tls.Enabled)
        {
            try
            {
                certificates = TlsCertificates.Load(settings.Tls, loggerFactory.CreateLogger("PluggableNet.Tls"));
            }
            catch (CertificateLoadException exception)
            {
                throw new ConfigurationException(exception.Errors);
            }
        }

        var factory = new PluginFactory(settings.PluginsPath, configuration, loggerFactory) {
            ProcessTimeoutMs = (long)settings.ProcessTimeout.TotalMilliseconds,
            ReactorChannels = settings.Transport == TransportKind.Epoll && certificates is null ? settings.ReactorThreads : 0,
        };
        PluginGeneration initial;
        if (fixedPlugin is not null)
        {
            // Registered in DI by an embedding application: no load context, no folder, never swapped.
            var type = fixedPlugin.GetType();
            initial = new PluginGeneration(type.Name, type.Assembly.GetName().Version?.ToString() ?? "0.0.0", 1, fixedPlugin, services: null, loader: null, path: null, new SessionScope(factory.Sessions));
        }
        else
        {
            try
            {
                initial = factory.Load(settings.Plugin);
            }
            catch (PluginLoadException exception) when (factory.FindFolder(settings.Plugin) is not null)
            {
                // Found but unusable: the reason is the message; a list of other plugins would only bury it (a missing
                // folder's message lists them).
                throw new PluginLoadException($"Logic:Plugin '{settings.Plugin}': {exception.Message}", exception);
            }
        }

        return new PluggableServer(settings, factory, new PluginSwitch(initial, factory.Sessions), loggerFactory, meterFactory, certificates) { IsSwappable = fixedPlugin is null };
    }

    /// <summary>
    /// Starts the transport of a <see cref="Prepare">prepared</see> server, serving on <paramref name="inherited"/>
    /// when given (socket activation, or a listener handed over by the host this one upgrades). On failure the server is
    /// disposed (its plugin unloaded) and the error thrown.
    /// </summary>
    internal void Listen(InheritedListener? inherited)
    {
        var server = this;
        var settings = Settings;
        var certificates = Certificates;
        var initial = Plugins.Current;
        var options = _transportOptions with { Inherited = inherited };
        _transport = Transport == TransportKind.Epoll
            ? new EpollTransport(options, _lifecycle, _loggerFactory.CreateLogger("PluggableNet.Reactors"))
            : new SocketsTransport(options, _lifecycle, _tlsHandshake);
        try
        {
            server._transport.Start();
            server.Meter.Listening(server.LocalEndPoint);
            server._listening = true;
        }
        catch
        {
            server.Meter.Dispose();
            server._transport.DisposeAsync().AsTask().GetAwaiter().GetResult();
            initial.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }

        server._logger.LogInformation(
            "PluggableNet listening on {Address}:{Port}, endpoint {Endpoint}, transport {Transport}, {Reactors} reactor(s), framing {Framing}, plugin {Plugin} {Version}",
            server.LocalEndPoint.Address,
            server.LocalEndPoint.Port,
            settings.Name,
            server.Transport,
            server.Transport != TransportKind.Epoll ? "0" : settings.AdaptiveReactors ? $"auto 1..{settings.ReactorThreads}" : settings.ReactorThreads.ToString(CultureInfo.InvariantCulture),
            server._lifecycle.Context.Codec,
            initial.Name,
            initial.Version);
        if (certificates is not null)
        {
            server._logger.LogInformation(
                "TLS on: {Protocols}, client certificates {ClientCertificates}, handshake timeout {HandshakeTimeout} s; served by the sockets transport{Why}",
                settings.Tls.Protocols,
                settings.Tls.ClientCertificateMode,
                settings.Tls.HandshakeTimeout.TotalSeconds,
                settings.Transport == TransportKind.Epoll ? " (Server:Transport Epoll: the epoll reactors do not drive TLS)" : string.Empty);
        }

        if (inherited is not null)
        {
            server._logger.LogInformation(
                "Serving on the inherited listening socket fd {Fd} ({Address}:{Port}, {Source}) for endpoint {Endpoint}; Server:Address, Server:Port and Server:Backlog are the socket's",
                inherited.Fd, inherited.EndPoint.Address, inherited.EndPoint.Port, inherited.Source, settings.Name);
        }

        if (server._lifecycle.Headroom.Current(Environment.TickCount64) is { } descriptors && descriptors.Free - descriptors.Reserve < settings.MaxConnections)
        {
            server._logger.LogWarning(
                "Connections limited to about {Cap} by the open files limit {Limit} ({InUse} descriptors in use at start, {Reserve} kept for the runtime, logs and plugins), below Limits:MaxConnections {MaxConnections}: accepting pauses while only the reserve is free; raise the limit (LimitNOFILE=, ulimit -n) to allow more",
                Math.Max(0, descriptors.Free - descriptors.Reserve), descriptors.Limit, descriptors.InUse, descriptors.Reserve, settings.MaxConnections);
        }
    }
}
