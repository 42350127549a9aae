using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using PluggableNet.Host.Plugins;
using PluggableNet.Host.Service;
using Serilog;

namespace PluggableNet.Host.Hosting;

/// <summary>
/// Builds configuration, logging and the generic host around <see cref="PluggableServer"/>, and maps startup
/// failures to clear messages and exit codes: 2 invalid configuration, 3 plugin not loadable, 4 cannot listen,
/// 5 another host already holds the pidfile.
/// </summary>
public static class HostApp
{
    public const int ExitOk = 0;
    public const int ExitInvalidConfiguration = 2;
    public const int ExitPluginError = 3;
    public const int ExitListenError = 4;
    public const int ExitAlreadyRunning = 5;

    /// <summary>
    /// appsettings.json beside the host, then the <c>--config FILE</c> JSON file (both watched for changes), then
    /// <c>PLUGGABLENET_</c> environment variables, then command-line overrides such as <c>--Server:Port=19090</c>.
    /// </summary>
    public static IConfigurationRoot BuildConfiguration(string[] args)
    {
        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .Add(new LastGoodJsonConfigurationSource { Path = "appsettings.json", Optional = true, ReloadOnChange = true });
        if (ConfigFile(args) is { } file)
        {
            var full = Path.GetFullPath(file);
            builder.Add(new LastGoodJsonConfigurationSource
            {
                FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetDirectoryName(full)!),
                Path = Path.GetFileName(full),
                Optional = false,
                ReloadOnChange = true,
            });
        }

        return builder
            .AddEnvironmentVariables("PLUGGABLENET_")
            .AddCommandLine(args.Where(a => !IsConfigSwitch(a)).ToArray())
            .Build();
    }

    /// <summary>The value of <c>--config FILE</c> or <c>--config=FILE</c>, if given.</summary>
    public static string? ConfigFile(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return args[i]["--config=".Length..];
            }
        }

        return null;
    }

    private static bool IsConfigSwitch(string arg) => arg == "--config" || arg.StartsWith("--config=", StringComparison.Ordinal);

    public static Serilog.Core.Logger CreateLogger(IConfiguration configuration)
    {
        var logger = new LoggerConfiguration().ReadFrom.Configuration(configuration);
        if (!configuration.GetSection("Serilog:WriteTo").GetChildren().Any())
        {
            logger.WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        }

        return logger.CreateLogger();
    }

    /// <summary>Runs the host in the foreground until SIGTERM/Ctrl+C. Returns the process exit code.</summary>
    public static Task<int> RunAsync(string[] args, Action<IServiceCollection>? configureServices = null) =>
        RunAsync(args, daemon: false, configureServices);

    /// <summary>
    /// Runs the host until SIGTERM/Ctrl+C. As the <paramref name="daemon"/> started by <c>start</c> it first detaches
    /// from the terminal and logs to the rolling file; the daemon, and a foreground host given <c>--pidfile</c>,
    /// hold the pidfile for their whole life and remove it after the drain.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, bool daemon, Action<IServiceCollection>? configureServices = null)
    {
        IConfigurationRoot configuration;
        ServiceSettings service;
        try
        {
            configuration = BuildConfiguration(args);
            service = ServiceSettings.Read(configuration);
        }
        catch (Exception exception) when (exception is FileNotFoundException or InvalidDataException or FormatException)
        {
            await Console.Error.WriteLineAsync($"Invalid configuration: {exception.Message}").ConfigureAwait(false);
            return ExitInvalidConfiguration;
        }
        catch (ConfigurationException exception)
        {
            await Console.Error.WriteLineAsync(exception.Message).ConfigureAwait(false);
            return ExitInvalidConfiguration;
        }

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
                await Console.Error.WriteLineAsync($"Cannot start: {exception.Message} (set Service:PidFile or --pidfile to a writable path)").ConfigureAwait(false);
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
        LastGoodJsonConfigurationSource.Rejected += (file, exception) =>
            logger.Error("Ignored the new contents of {File}: {Reason}; the last valid settings stay in force", file, exception.GetBaseException().Message);
        if (pidFile?.StalePid is { } stale)
        {
            logger.Warning("Stale pidfile {PidFile} (pid {Pid} is not running); taken over", pidFile.Path, stale);
        }

        HostSettings settings;
        try
        {
            settings = HostSettings.Read(configuration);
        }
        catch (ConfigurationException exception)
        {
            await ReportStartupFailureAsync(logger, target, exception.Message).ConfigureAwait(false);
            return ExitInvalidConfiguration;
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

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.DrainTimeout + TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<IConfiguration>(configuration);
        builder.Services.AddSingleton<ServerHostedService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ServerHostedService>());
        builder.Services.AddHostedService<ReloadCoordinator>();
        configureServices?.Invoke(builder.Services);

        try
        {
            using var host = builder.Build();
            await host.RunAsync().ConfigureAwait(false);
            return ExitOk;
        }
        catch (PluginLoadException exception)
        {
            await ReportStartupFailureAsync(logger, target, $"Cannot start: {exception.Message}").ConfigureAwait(false);
            return ExitPluginError;
        }
        catch (SocketException exception)
        {
            await ReportStartupFailureAsync(logger, target, $"Cannot start: {exception.Message}").ConfigureAwait(false);
            return ExitListenError;
        }
    }

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
