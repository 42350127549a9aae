using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PluggableNet.Host.Plugins;
using Serilog;

namespace PluggableNet.Host.Hosting;

/// <summary>
/// Builds configuration, logging and the generic host around <see cref="PluggableServer"/>, and maps startup
/// failures to clear messages and exit codes: 2 invalid configuration, 3 plugin not loadable, 4 cannot listen.
/// </summary>
public static class HostApp
{
    public const int ExitOk = 0;
    public const int ExitInvalidConfiguration = 2;
    public const int ExitPluginError = 3;
    public const int ExitListenError = 4;

    /// <summary>
    /// appsettings.json beside the host, then the <c>--config FILE</c> JSON file (both watched for changes), then
    /// <c>PLUGGABLENET_</c> environment variables, then command-line overrides such as <c>--Server:Port=19090</c>.
    /// </summary>
    public static IConfigurationRoot BuildConfiguration(string[] args)
    {
        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: true);
        if (ConfigFile(args) is { } file)
        {
            var full = Path.GetFullPath(file);
            builder.AddJsonFile(new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetDirectoryName(full)!), Path.GetFileName(full), optional: false, reloadOnChange: true);
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
    public static async Task<int> RunAsync(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        IConfigurationRoot configuration;
        try
        {
            configuration = BuildConfiguration(args);
        }
        catch (Exception exception) when (exception is FileNotFoundException or InvalidDataException or FormatException)
        {
            await Console.Error.WriteLineAsync($"Invalid configuration: {exception.Message}").ConfigureAwait(false);
            return ExitInvalidConfiguration;
        }

        await using var logger = CreateLogger(configuration);
        HostSettings settings;
        try
        {
            settings = HostSettings.Read(configuration);
        }
        catch (ConfigurationException exception)
        {
            logger.Fatal("{Message}", exception.Message);
            await Console.Error.WriteLineAsync(exception.Message).ConfigureAwait(false);
            return ExitInvalidConfiguration;
        }

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
            Configuration = new ConfigurationManager(),
        });
        builder.Configuration.AddConfiguration(configuration);
        builder.Services.AddSerilog(logger, dispose: false);
        builder.Services.AddSystemd();
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
            logger.Fatal("Cannot start: {Message}", exception.Message);
            await Console.Error.WriteLineAsync($"Cannot start: {exception.Message}").ConfigureAwait(false);
            return ExitPluginError;
        }
        catch (SocketException exception)
        {
            logger.Fatal("Cannot start: {Message}", exception.Message);
            await Console.Error.WriteLineAsync($"Cannot start: {exception.Message}").ConfigureAwait(false);
            return ExitListenError;
        }
    }
}
