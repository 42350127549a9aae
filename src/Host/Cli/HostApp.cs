using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Service;
using PluggableNet.Host.Telemetry;
using PluggableNet.Host.Upgrade;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;
using PluggableNet.Server.Transport;
using Serilog;
using Serilog.Extensions.Logging;

namespace PluggableNet.Host.Cli;

/// <summary>
/// Builds configuration, logging and the generic host around <see cref="PluggableServer"/>, and maps startup
/// failures to clear messages and exit codes: 2 invalid configuration, 3 plugin not loadable, 4 cannot listen,
/// 5 another host already holds the pidfile.
/// </summary>
internal static class HostApp
{
    public const int ExitOk = 0;
    public const int ExitInvalidConfiguration = 2;
    public const int ExitPluginError = 3;
    public const int ExitListenError = 4;
    public const int ExitAlreadyRunning = 5;
    public const int ExitHandOverRefused = 6;

    /// <summary>
    /// Runs the host until SIGTERM/Ctrl+C. As the <paramref name="daemon"/> started by <c>start</c> it first detaches
    /// from the terminal and logs to the rolling file; the daemon, and a foreground host given <c>--pidfile</c>,
    /// hold the pidfile for their whole life and remove it after the drain.
    /// </summary>
    public static async Task<int> RunAsync(HostArguments arguments, bool daemon, Action<IServiceCollection>? configureServices = null)
    {
        if (ServiceCommand.Load(arguments) is not { } loaded)
        {
            return ExitInvalidConfiguration;
        }

        var (configuration, service) = loaded;

        if (daemon)
        {
            DaemonSession.Detach(service.ConsoleFile);
        }

        PidFile? pidFile = null;

        // A new host started by an upgrade takes the pidfile over only once the old host let go of it (UpgradeTakeOver).
        var upgrading = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(HandOverProtocol.ChannelVariable));
        if (!upgrading && (daemon || service.PidFileConfigured))
        {
            try
            {
                pidFile = PidFile.TryAcquire(service.PidFile, out var holder);
                if (pidFile is null)
                {
                    await Console.Error.WriteLineAsync($"Cannot start: already running, pid {holder?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"} (pidfile {service.PidFile} is locked)").ConfigureAwait(false);
                    return ExitAlreadyRunning;
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync(CannotStart(exception.Message) + " (set Service:PidFile or --pidfile to a writable path)").ConfigureAwait(false);
                return ExitInvalidConfiguration;
            }
        }

        var resources = new HandOverResources(pidFile);
        try
        {
            return await RunHostAsync(configuration, service, resources, daemon, configureServices).ConfigureAwait(false);
        }
        finally
        {
            // Only after the host has drained and stopped: while the file exists, `stop` is still waiting for us. A host
            // that handed over released it already; this then touches nothing.
            resources.PidFile?.Dispose();
        }
    }

    private static async Task<int> RunHostAsync(IConfigurationRoot configuration, ServiceSettings service, HandOverResources resources, bool daemon, Action<IServiceCollection>? configureServices)
    {
        var pidFile = resources.PidFile;

        // A new host whose old host ran under systemd is not systemd's child, yet it is the service now.
        var upgradedUnderSystemd = Environment.GetEnvironmentVariable(NewHostCommand.SystemdVariable) == "1";
        Environment.SetEnvironmentVariable(NewHostCommand.SystemdVariable, null);
        var underSystemd = !daemon && (SystemdHelpers.IsSystemdService() || upgradedUnderSystemd);
        var target = daemon ? LogTarget.File : underSystemd ? LogTarget.Journal : LogTarget.Console;
        await using var logger = ServiceLogging.Create(configuration, target, service);
        using var logQueueWatcher = new LogQueueWatcher(logger);
        using var unexpectedExit = new UnexpectedExitLog(logger);
        using var configurationFileLog = ConfigurationFileLog.Attach(logger);
        if (pidFile?.StalePid is { } stale)
        {
            logger.Warning("Stale pidfile {PidFile} (pid {Pid} is not running); taken over", pidFile.Path, stale);
        }

        // First, so an old host speaking another protocol version refuses us before any work, and so every reason
        // this start may fail for from here on reaches the operator's `upgrade`.
        IConnectionHandOver connections = new SnapshotConnectionHandOver(new SerilogLoggerFactory(logger));
        HandOverClient? handOver;
        try
        {
            handOver = HandOverClient.Connect(new SerilogLoggerFactory(logger).CreateLogger("PluggableNet.Upgrade"), connections);
        }
        catch (Exception exception) when (exception is ConfigurationException or IOException or TimeoutException)
        {
            await ReportStartupFailureAsync(logger, target, CannotStart(exception.Message)).ConfigureAwait(false);
            return ExitHandOverRefused;
        }

        using var handOverScope = handOver;
        resources.TelemetryPort = new FixedTelemetryPort { OldHostReleased = handOver?.Released };
        var keepsPidFile = pidFile is not null || (handOver is not null && (daemon || service.PidFileConfigured));
        if (!ServiceCommand.TryRead(() => ServerSettings.Read(configuration), out var settings, out var error))
        {
            await ReportStartupFailureAsync(logger, target, error, handOver).ConfigureAwait(false);
            return ExitInvalidConfiguration;
        }

        // Read (and removed from the environment) before anything could start a child process.
        InheritedListeners? inherited;
        try
        {
            inherited = SocketActivation.Take([.. settings.Endpoints.Select(e => e.Name)]);
        }
        catch (ConfigurationException exception)
        {
            await ReportStartupFailureAsync(logger, target, CannotStart(string.Join(Environment.NewLine, exception.Errors)), handOver).ConfigureAwait(false);
            return ExitInvalidConfiguration;
        }

        if (OpenFilesLimit.RaiseToHard() is { } files)
        {
            // Every connection is a descriptor: take the whole hard limit, as nginx and most servers do.
            logger.Information("Open files limit {Soft} (hard {Hard}){Raised:l}", files.Soft, files.Hard, files.Before < files.Soft ? ", raised from " + files.Before.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty);
        }

        if (keepsPidFile && settings.ControlSocket is null)
        {
            // Next to the pidfile, so `status` finds the host from the pidfile's location alone.
            settings = settings with { ControlSocket = service.ControlSocket };
        }

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
            Configuration = new ConfigurationManager(),
        });
        builder.Configuration.AddConfiguration(configuration);
        builder.Services.AddSerilog(logger, dispose: false);
        if (underSystemd)
        {
            // READY=1 once every hosted service has started (the listener accepts), STOPPING=1 on SIGTERM; nothing
            // more once this host handed over to a new one (HandOverNotifier).
            builder.Services.AddSystemd();
            builder.Services.AddSingleton<ISystemdNotifier>(new HandOverNotifier(resources));
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        builder.Services.AddSingleton(resources);
        builder.Services.AddSingleton(service);
        builder.Services.AddSingleton(connections);
        if (handOver is not null)
        {
            builder.Services.AddSingleton(handOver);
            builder.Services.AddSingleton<IUpgradeHandOver>(handOver);
        }

        builder.Services.AddSingleton(sp => new UpgradeCoordinator(
            sp.GetRequiredService<ServerHostedService>(),
            resources,
            service,
            sp.GetRequiredService<IHostApplicationLifetime>(),
            connections,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            handOver) { UnderSystemd = underSystemd });

        builder.Services.AddSingleton(settings);
        if (inherited is not null)
        {
            builder.Services.AddSingleton(inherited);
        }

        builder.Services.AddSingleton<IConfiguration>(configuration);
        builder.Services.AddMetricsExport(settings.Observability);
        // Before the server: starts first (readiness 503 while the plugin loads), stops last (503 through the drain).
        builder.Services.AddSingleton(resources.TelemetryPort);
        builder.Services.AddHostedService<TelemetryHttpServer>();
        // The same composition an embedding application gets, with the settings read (and amended) above.
        builder.Services.AddPluggableNet(new ServerRegistration(configuration, settings, Plugin: null));
        if (!keepsPidFile && settings.ControlSocket is null)
        {
            // A foreground host with nothing configured: a socket by port, so the verbs find it with no options.
            builder.Services.AddSingleton(new ForegroundControlSocket(service.ForegroundControlSocket));
        }

        if (handOver is not null)
        {
            // After the server (which got the sockets and told the old host), before the control socket (released path).
            builder.Services.AddHostedService(sp => new UpgradeTakeOver(
                handOver,
                resources,
                service,
                sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>(),
                sp.GetService<ISystemdNotifier>()) { KeepsPidFile = daemon || service.PidFileConfigured });
        }

        builder.Services.AddSingleton(sp =>
        {
            var upgrade = sp.GetRequiredService<UpgradeCoordinator>();
            return new ControlExtensions(
                status => upgrade.Origin is { } origin ? status with { UpgradedAt = origin.At, UpgradedFrom = $"{origin.FromBuild}, pid {origin.FromPid}" } : status,
                (command, _) => command.StartsWith(UpgradeCommand.Name + " ", StringComparison.Ordinal)
                    ? UpgradeCommand.AnswerAsync(upgrade, command)
                    : Task.FromResult(new ControlAnswer("{\"error\":\"unknown command; try status\"}")),
                channel => resources.ControlChannel = channel);
        });
        builder.Services.AddHostedService<ControlChannelService>();
        builder.Services.AddHostedService<UpgradeSignal>();
        configureServices?.Invoke(builder.Services);

        try
        {
            using var host = builder.Build();
            host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(unexpectedExit.HostStopping);
            await host.RunAsync().ConfigureAwait(false);
            return ExitOk;
        }
        catch (ConfigurationException exception)
        {
            // Found only once the host starts, such as a Control:Socket path that is not ours to replace.
            logger.Debug(exception, "Start failure in detail");
            await ReportStartupFailureAsync(logger, target, CannotStart(exception.Message), handOver).ConfigureAwait(false);
            return ExitInvalidConfiguration;
        }
        catch (PluginLoadException exception)
        {
            logger.Debug(exception, "Start failure in detail");
            await ReportStartupFailureAsync(logger, target, CannotStart(exception.Message), handOver).ConfigureAwait(false);
            return ExitPluginError;
        }
        catch (SocketException exception)
        {
            logger.Debug(exception, "Start failure in detail");
            await ReportStartupFailureAsync(logger, target, CannotStart(exception.Message), handOver).ConfigureAwait(false);
            return ExitListenError;
        }
    }

    /// <summary>
    /// <c>Cannot start: </c> and the reason, which reads once even when the reason begins the same way
    /// (<c>Cannot listen on 0.0.0.0:9090: …</c> becomes <c>Cannot start: could not listen on 0.0.0.0:9090: …</c>).
    /// </summary>
    internal static string CannotStart(string reason) =>
        "Cannot start: " + (reason.StartsWith("Cannot ", StringComparison.Ordinal) ? "could not " + reason["Cannot ".Length..] : reason);

    /// <summary>
    /// Logs why the host cannot start, and repeats it on stderr unless the log already goes to the terminal, so the
    /// operator (or <c>start</c>, reading the daemon's output) sees it exactly once.
    /// </summary>
    private static async Task ReportStartupFailureAsync(Serilog.ILogger logger, LogTarget target, string message, HandOverClient? handOver = null)
    {
        // A new host of an upgrade tells the old one why, so `upgrade` prints it.
        handOver?.Fail(message);
        logger.Fatal("{Message}", message);
        if (target != LogTarget.Console)
        {
            await Console.Error.WriteLineAsync(message).ConfigureAwait(false);
        }
    }
}
