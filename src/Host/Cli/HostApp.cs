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
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;
using PluggableNet.Server.Transport;
using Serilog;

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
        if (daemon || service.PidFileConfigured)
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

        try
        {
            return await RunHostAsync(configuration, service, pidFile, daemon, configureServices).ConfigureAwait(false);
        }
        finally
        {
            // Only after the host has drained and stopped: while the file exists, `stop` is still waiting for us.
            pidFile?.Dispose();
        }
    }

    private static async Task<int> RunHostAsync(IConfigurationRoot configuration, ServiceSettings service, PidFile? pidFile, bool daemon, Action<IServiceCollection>? configureServices)
    {
        var target = daemon ? LogTarget.File : SystemdHelpers.IsSystemdService() ? LogTarget.Journal : LogTarget.Console;
        await using var logger = ServiceLogging.Create(configuration, target, service);
        using var logQueueWatcher = new LogQueueWatcher(logger);
        using var unexpectedExit = new UnexpectedExitLog(logger);
        using var configurationFileLog = ConfigurationFileLog.Attach(logger);
        if (pidFile?.StalePid is { } stale)
        {
            logger.Warning("Stale pidfile {PidFile} (pid {Pid} is not running); taken over", pidFile.Path, stale);
        }

        if (!ServiceCommand.TryRead(() => ServerSettings.Read(configuration), out var settings, out var error))
        {
            await ReportStartupFailureAsync(logger, target, error).ConfigureAwait(false);
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
            await ReportStartupFailureAsync(logger, target, CannotStart(string.Join(Environment.NewLine, exception.Errors))).ConfigureAwait(false);
            return ExitInvalidConfiguration;
        }

        if (OpenFilesLimit.RaiseToHard() is { } files)
        {
            // Every connection is a descriptor: take the whole hard limit, as nginx and most servers do.
            logger.Information("Open files limit {Soft} (hard {Hard}){Raised:l}", files.Soft, files.Hard, files.Before < files.Soft ? ", raised from " + files.Before.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty);
        }

        if (pidFile is not null && settings.ControlSocket is null)
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
        if (!daemon)
        {
            // READY=1 once every hosted service has started (the listener accepts), STOPPING=1 on SIGTERM.
            builder.Services.AddSystemd();
        }

        builder.Services.AddSingleton(settings);
        if (inherited is not null)
        {
            builder.Services.AddSingleton(inherited);
        }

        builder.Services.AddSingleton<IConfiguration>(configuration);
        builder.Services.AddMetricsExport(settings.Observability);
        // Before the server: starts first (readiness 503 while the plugin loads), stops last (503 through the drain).
        builder.Services.AddHostedService<TelemetryHttpServer>();
        // The same composition an embedding application gets, with the settings read (and amended) above.
        builder.Services.AddPluggableNet(new ServerRegistration(configuration, settings, Plugin: null));
        if (pidFile is null && settings.ControlSocket is null)
        {
            // A foreground host with nothing configured: a socket by port, so the verbs find it with no options.
            builder.Services.AddSingleton(new ForegroundControlSocket(service.ForegroundControlSocket));
        }

        builder.Services.AddHostedService<ControlChannelService>();
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
            await ReportStartupFailureAsync(logger, target, CannotStart(exception.Message)).ConfigureAwait(false);
            return ExitInvalidConfiguration;
        }
        catch (PluginLoadException exception)
        {
            logger.Debug(exception, "Start failure in detail");
            await ReportStartupFailureAsync(logger, target, CannotStart(exception.Message)).ConfigureAwait(false);
            return ExitPluginError;
        }
        catch (SocketException exception)
        {
            logger.Debug(exception, "Start failure in detail");
            await ReportStartupFailureAsync(logger, target, CannotStart(exception.Message)).ConfigureAwait(false);
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
    private static async Task ReportStartupFailureAsync(Serilog.ILogger logger, LogTarget target, string message)
    {
        logger.Fatal("{Message}", message);
        if (target != LogTarget.Console)
        {
            await Console.Error.WriteLineAsync(message).ConfigureAwait(false);
        }
    }
}
