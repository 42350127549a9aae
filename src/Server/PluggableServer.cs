using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Transport;
using PluggableNet.Server.Transport.Epoll;
using PluggableNet.Server.Transport.Sockets;

namespace PluggableNet.Server;

/// <summary>
/// The server without the hosting around it: loads the configured plugin, starts the chosen transport, swaps
/// plugins, stops gracefully. The generic host, the CLI and the tests all drive this one class.
/// </summary>
public sealed class PluggableServer : IAsyncDisposable
{
    /// <summary>How long a stop waits, after its deadline, for a swap whose drain it cut to dispose the old generation.</summary>
    private static readonly TimeSpan s_swapEndGrace = TimeSpan.FromSeconds(1);

    /// <summary>How long a reload waits for a plugin folder that a deploy is renaming into place.</summary>
    private static readonly TimeSpan s_deployGap = TimeSpan.FromSeconds(2);

    private readonly ITransport _transport;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _swapLock = new(1, 1);
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private readonly ConnectionLifecycle _lifecycle;
    private readonly CancellationTokenSource _swapDrainCut = new();
    private readonly Lock _stopLock = new();
    private string _pluginName;
    private volatile bool _stopped;
    private volatile bool _listening;
    private Task? _stop;

    private PluggableServer(ServerSettings settings, PluginFactory factory, PluginSwitch plugins, ILoggerFactory loggerFactory, IMeterFactory? meterFactory, InheritedListener? inherited)
    {
        Settings = settings;
        Factory = factory;
        Plugins = plugins;
        var offloadGate = new OffloadGate(settings.MaxConcurrentOffloads, settings.MaxAbandonedOffloads);
        Meter = new HostMeter(
            Metrics,
            new ServerReadings
            {
                OffloadsRunning = () => offloadGate.Running,
                OffloadsAbandoned = () => offloadGate.Abandoned,
                RetiredGenerations = () => plugins.Retired.StillLoaded,
                CurrentGeneration = () => (plugins.Current.Counters, plugins.Current.Number),
            },
            settings.EndPoint,
            meterFactory);
        plugins.Current.Counters = Meter.ForPlugin(plugins.Current.Name, plugins.Current.Version);
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
        // Connections never take the descriptors the runtime itself needs: at the open-files limit .NET aborts.
        DescriptorBudget = OpenFilesLimit.Budget() is { } budget && budget.Connections < settings.MaxConnections ? budget : null;
        _lifecycle = new ConnectionLifecycle(context, DescriptorBudget?.Connections ?? settings.MaxConnections);
        var options = new TransportOptions(settings.EndPoint, settings.Backlog, settings.ReactorThreads, settings.AdaptiveReactors, settings.ReactorMigrationDrillMs, inherited);
        _transport = settings.Transport == TransportKind.Epoll
            ? new EpollTransport(options, _lifecycle, loggerFactory.CreateLogger("PluggableNet.Reactors"))
            : new SocketsTransport(options, _lifecycle);
    }

    public ServerSettings Settings { get; }

    /// <summary>Set when the open-files limit, not <c>Limits:MaxConnections</c>, caps the connections.</summary>
    internal ConnectionBudget? DescriptorBudget { get; }

    internal PluginFactory Factory { get; }

    internal PluginSwitch Plugins { get; }

    internal HostMetrics Metrics { get; } = new();

    /// <summary>The <c>PluggableNet</c> meter: <see cref="Metrics"/> and the plugin figures as instruments.</summary>
    internal HostMeter Meter { get; }

    /// <summary>
    /// <c>/readyz</c>: listening, a plugin loaded, not stopping. False from the first moment of a stop, through
    /// <c>Health:DrainDelay</c> while the listener still accepts, so a balancer stops sending first.
    /// </summary>
    public bool IsReady => _listening && !_stopped;

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
        var factory = new PluginFactory(settings.PluginsPath, configuration, loggerFactory);
        PluginGeneration initial;
        if (fixedPlugin is not null)
        {
            // Registered in DI by an embedding application: no load context, no folder, never swapped.
            var type = fixedPlugin.GetType();
            initial = new PluginGeneration(type.Name, type.Assembly.GetName().Version?.ToString() ?? "0.0.0", 1, fixedPlugin, services: null, loader: null, path: null);
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

        var server = new PluggableServer(settings, factory, new PluginSwitch(initial), loggerFactory, meterFactory, inherited) { IsSwappable = fixedPlugin is null };
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
            "PluggableNet listening on {Address}:{Port}, transport {Transport}, {Reactors} reactor(s), framing {Framing}, plugin {Plugin} {Version}",
            server.LocalEndPoint.Address,
            server.LocalEndPoint.Port,
            settings.Transport,
            settings.Transport != TransportKind.Epoll ? "0" : settings.AdaptiveReactors ? $"auto 1..{settings.ReactorThreads}" : settings.ReactorThreads.ToString(CultureInfo.InvariantCulture),
            server._lifecycle.Context.Codec,
            initial.Name,
            initial.Version);
        if (inherited is not null)
        {
            server._logger.LogInformation(
                "Serving on the inherited listening socket fd {Fd} ({Address}:{Port}, socket activation); Server:Address, Server:Port and Server:Backlog are the socket unit's",
                inherited.Fd, inherited.EndPoint.Address, inherited.EndPoint.Port);
        }

        if (server.DescriptorBudget is { } budget)
        {
            server._logger.LogWarning(
                "Connections capped at {Cap} by the open files limit {Limit} ({InUse} descriptors in use at start, {Reserve} kept for the runtime, logs and plugins), below Limits:MaxConnections {MaxConnections}; raise the limit (LimitNOFILE=, ulimit -n) to allow more",
                budget.Connections, budget.Limit, budget.InUse, budget.Reserve, settings.MaxConnections);
        }

        return server;
    }

    /// <summary>
    /// Loads plugin <paramref name="pluginName"/> (default: the current one, re-read from disk) and swaps it in.
    /// On failure the current version keeps serving and the failure is logged; nothing throws.
    /// </summary>
    /// <remarks>
    /// Swaps are serialized, drain included, so at most two generations exist at any time (the current one and
    /// the one draining), as in Erlang's current/old code. <paramref name="cancellationToken"/> cancels only the
    /// wait for an earlier swap: once a new generation is published, the old one is always drained and disposed.
    /// A stop cuts the swap's drain short at its own deadline, so a swap never holds a stop beyond <c>Server:DrainTimeout</c>.
    /// </remarks>
    /// <param name="trigger">What asked for the swap, for the log: <c>file</c>, <c>config</c>, <c>signal</c>, …</param>
    /// <param name="pluginName">The plugin to load; null reloads the current one.</param>
    /// <param name="cancellationToken">Cancels waiting for the swap lock.</param>
    internal async Task<SwapResult> ReloadAsync(string trigger, string? pluginName = null, CancellationToken cancellationToken = default)
    {
        await _swapLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var name = pluginName ?? _pluginName;
            var current = Plugins.Current;
            if (_stopped)
            {
                return new SwapResult(false, current, "the server is stopping");
            }

            if (!IsSwappable)
            {
                return new SwapResult(false, current, $"plugin {current.Name} was registered in DI and is never swapped");
            }

            var started = Stopwatch.GetTimestamp();
            await WaitOutDeployRenamesAsync(name, cancellationToken).ConfigureAwait(false);
            PluginGeneration next;
            try
            {
                next = Factory.Load(name);
            }
            catch (Exception exception)
            {
                // The message only, never the exception object: a log sink that keeps events would keep the
                // failed load context (referenced from the stack trace) alive.
                Plugins.History.Failed(exception.Message);
                Meter.SwapEnded(trigger, succeeded: false, Stopwatch.GetElapsedTime(started));
                _logger.LogError(
                    "Swap to plugin {Plugin} ({Trigger}) failed, {Current} {Version} (generation {Generation}) keeps serving: {Reason}",
                    name, trigger, current.Name, current.Version, current.Number, exception.Message);
                return new SwapResult(false, current, exception.Message, Elapsed: Stopwatch.GetElapsedTime(started));
            }

            var loaded = Stopwatch.GetElapsedTime(started);
            next.Counters = Meter.ForPlugin(next.Name, next.Version);
            var (previous, drained) = await Plugins.SwapAsync(next, Settings.SwapDrainTimeout, _swapDrainCut.Token, trigger).ConfigureAwait(false);
            _pluginName = next.Name;
            if (!drained)
            {
                _logger.LogWarning(
                    "Plugin {Plugin} {Version} (generation {Generation}) still had calls running {When}; disposed anyway",
                    previous.Name, previous.Version, previous.Number,
                    _stopped ? "when the stop reached Server:DrainTimeout" : $"after Logic:SwapDrainTimeout {Settings.SwapDrainTimeout}");
            }

            if (previous.Abandoned is var abandoned and > 0)
            {
                _logger.LogWarning(
                    "Plugin {Plugin} {Version} (generation {Generation}) keeps {Abandoned} abandoned call(s) running (their connections are gone; the swap did not wait for them); its code stays loaded until they end",
                    previous.Name, previous.Version, previous.Number, abandoned);
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            Meter.SwapEnded(trigger, succeeded: true, elapsed, loaded, elapsed - loaded);
            _logger.LogInformation(
                "Swapped plugin {OldPlugin} {OldVersion} (generation {OldGeneration}) → {Plugin} {Version} (generation {Generation}), trigger {Trigger}, in {ElapsedMs:F1} ms (load {LoadMs:F1} ms, drain {DrainMs:F1} ms)",
                previous.Name, previous.Version, previous.Number, next.Name, next.Version, next.Number, trigger,
                elapsed.TotalMilliseconds, loaded.TotalMilliseconds, (elapsed - loaded).TotalMilliseconds);
            Plugins.Retired.Verify(_logger);
            return new SwapResult(true, next, null, previous.LoadContext, drained, elapsed);
        }
        finally
        {
            _swapLock.Release();
        }
    }

    /// <summary>
    /// A deploy renames the live folder away, then its staged successor into place: a reload asked for between the
    /// two renames waits for the new folder (bounded) instead of failing with "not found".
    /// </summary>
    private async Task WaitOutDeployRenamesAsync(string name, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)s_deployGap.TotalMilliseconds;
        while (Factory.FindFolder(name) is null && Factory.IsBeingReplaced(name) && Environment.TickCount64 < deadline)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The graceful stop, the same for every transport and whatever else is going on (a swap draining included):
    /// stop accepting at once, ask connections to finish what they have received, wait up to
    /// <c>Server:DrainTimeout</c>, then cut what is left. Every caller gets the same stop.
    /// </summary>
    public Task StopAsync()
    {
        lock (_stopLock)
        {
            return _stop ??= StopOnceAsync();
        }
    }

    private async Task StopOnceAsync()
    {
        _stopped = true;
        if (Settings.Observability.DrainDelay > TimeSpan.Zero)
        {
            // Readiness is 503 from now on; the listener stays open so a balancer that has not noticed yet loses nothing.
            _logger.LogInformation("Stopping: not ready; still accepting for Health:DrainDelay {Delay} so balancers take this host out first", Settings.Observability.DrainDelay);
            await Task.Delay(Settings.Observability.DrainDelay).ConfigureAwait(false);
        }

        await _transport.StopAcceptingAsync().ConfigureAwait(false);
        var open = _lifecycle.Open;
        _logger.LogInformation("Stopping: no longer accepting; draining {Open} connection(s) for up to {Timeout}", open, Settings.DrainTimeout);
        var drained = _lifecycle.DrainAsync();
        _transport.ScanNow();
        await drained.WaitAsync(Settings.DrainTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var cut = await _transport.AbortAllAsync().ConfigureAwait(false);
        _logger.LogInformation("Stopped: {Drained} connection(s) drained, {Cut} cut at the deadline", Math.Max(open - cut, 0), cut);

        // A swap still waiting for calls on its old generation waits no longer: the stop's deadline is the last word.
        await _swapDrainCut.CancelAsync().ConfigureAwait(false);
        var swapEnded = await _swapLock.WaitAsync(s_swapEndGrace).ConfigureAwait(false);
        try
        {
            await Plugins.Current.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            if (swapEnded)
            {
                _swapLock.Release();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        _swapDrainCut.Dispose();
        Meter.Dispose();
    }

    /// <summary>A point-in-time view for the status channel and tests.</summary>
    public ServerStatus Status() => new(
        Environment.ProcessId,
        LocalEndPoint.Address.ToString(),
        LocalEndPoint.Port,
        Settings.Transport.ToString(),
        Plugins.Current.Name,
        Plugins.Current.Version,
        Plugins.Current.Number,
        Plugins.Swaps,
        Metrics.OpenConnections,
        Metrics.Requests,
        GC.GetTotalAllocatedBytes(false),
        Math.Round(Uptime.TotalSeconds, 1),
        Plugins.History.Failures,
        Plugins.History.LastSwapAt,
        Plugins.History.LastTrigger,
        Plugins.History.LastError,
        Plugins.Retired.StillLoaded,
        _lifecycle.Context.OffloadGate.Abandoned,
        _lifecycle.Context.OffloadGate.AbandonedBytes,
        Metrics.ActiveReactors,
        Settings.Transport == TransportKind.Epoll ? Settings.ReactorThreads : 0,
        Settings.Transport == TransportKind.Epoll && Settings.AdaptiveReactors,
        Metrics.ReactorMigrations)
    {
        AcceptedConnections = Metrics.AcceptedConnections,
        RejectedConnections = Metrics.RejectedConnections,
        BytesReceived = Metrics.BytesReceived,
        BytesSent = Metrics.BytesSent,
        RequestsByVersion = Meter.PluginVersions().ToDictionary(p => p.Name + " " + p.Version, p => p.Requests),
        ProtocolErrors = Enum.GetValues<ProtocolErrorKind>().ToDictionary(k => HostMeter.SnakeCase(k.ToString()), Metrics.ProtocolErrorsOf),
        Timeouts = Enum.GetValues<TimeoutKind>().ToDictionary(k => HostMeter.SnakeCase(k.ToString()), Metrics.TimeoutsOf),
        PluginFaults = Enum.GetValues<PluginFaultKind>().ToDictionary(k => HostMeter.SnakeCase(k.ToString()), Metrics.PluginFaultsOf),
        OffloadsActive = _lifecycle.Context.OffloadGate.Running,
        OffloadsQueued = Metrics.WaitingForOffloadSlot,
        BackpressurePauses = Metrics.BackpressurePauses,
        PausedConnections = Metrics.PausedConnections,
        Ready = IsReady,
        PluginsPath = Factory.PluginsPath,
    };
}
