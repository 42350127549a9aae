using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;

namespace PluggableNet.Host.Service;

/// <summary>
/// Builds the Serilog logger for each <see cref="LogTarget"/>. The <c>Serilog</c> section always applies (levels,
/// enrichers, extra sinks); in the background and under systemd its Console sinks are replaced, because a
/// daemon's console is a file nobody reads and journald needs its own line format.
/// </summary>
internal static class ServiceLogging
{
    /// <summary>Used for the log file when neither <c>Service:LogOutputTemplate</c> nor a Console sink template is configured.</summary>
    public const string DefaultFileTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {Message:lj}{NewLine}{Exception}";

    /// <summary>
    /// The framework's own sources (<c>Microsoft.*</c>: the generic host, Kestrel for the health and metrics
    /// endpoints) log at Warning and above unless <c>Serilog:MinimumLevel:Override:Microsoft</c> says otherwise, which
    /// wins because the <c>Serilog</c> section is applied after this default.
    /// </summary>
    public const string QuietSource = "Microsoft";

    /// <summary>The level of <see cref="QuietSource"/> when the <c>Serilog</c> section does not set one.</summary>
    public const LogEventLevel QuietSourceLevel = LogEventLevel.Warning;

    /// <summary>journald adds the time, host and unit itself; it only needs the priority prefix and the message.</summary>
    public const string JournalTemplate = "<{" + SyslogPriorityEnricher.PropertyName + "}>{Message:lj}{NewLine}{Exception}";

    public static Logger Create(IConfiguration configuration, LogTarget target, ServiceSettings service)
    {
        if (target == LogTarget.Console)
        {
            return CreateConsoleLogger(configuration);
        }

        var (withoutConsole, consoleTemplate) = WithoutConsoleSinks(configuration);
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        if (target == LogTarget.File)
        {
            PrivatePaths.EnsureDirectory(Path.GetDirectoryName(service.LogFile)!);
            return Build(withoutConsole, sinks => sinks.File(
                service.LogFile,
                outputTemplate: service.LogOutputTemplate ?? consoleTemplate ?? DefaultFileTemplate,
                formatProvider: culture,
                fileSizeLimitBytes: service.LogFileSizeLimit,
                rollingInterval: RollingInterval.Day,
                rollOnFileSizeLimit: true,
                retainedFileCountLimit: service.LogRetainedFiles,
                hooks: new PrivateLogFiles()));
        }

        return Build(withoutConsole, sinks => sinks.Console(outputTemplate: JournalTemplate, formatProvider: culture), journal: true);
    }

    /// <summary>The <c>Serilog</c> section as configured, with a plain Console sink if it names no sink at all.</summary>
    public static Logger CreateConsoleLogger(IConfiguration configuration)
    {
        var namesSinks = configuration.GetSection("Serilog:WriteTo").GetChildren().Any();
        return Build(configuration, namesSinks ? null : sinks => sinks.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Levels, enrichers and filters of the <c>Serilog</c> section apply on the calling thread; every sink (the
    /// section's and <paramref name="addSinks"/>) sits behind one bounded background queue that drops, and counts,
    /// when full. No thread that logs (a reactor, a plugin) ever waits for a sink: a pipe nobody reads, Docker's
    /// blocking log mode or a stalled journald cost log lines, never answers.
    /// </summary>
    private static Logger Build(IConfiguration configuration, Action<LoggerSinkConfiguration>? addSinks, bool journal = false)
    {
        var (front, sinksOnly) = SplitSinks(configuration);
        var logger = new LoggerConfiguration()
            .MinimumLevel.Override(QuietSource, QuietSourceLevel)
            .ReadFrom.Configuration(front)
            .Filter.ByExcluding(IsGenericHostStartFailure);
        if (journal)
        {
            logger.Enrich.With<SyslogPriorityEnricher>();
        }

        return logger.WriteTo.Async(
                queue => queue.Logger(sinks =>
                {
                    // Everything the front let through: levels are decided there, before the queue.
                    sinks.MinimumLevel.Verbose().ReadFrom.Configuration(sinksOnly);
                    addSinks?.Invoke(sinks.WriteTo);
                }),
                bufferSize: LogQueue.Capacity,
                blockWhenFull: false,
                monitor: LogQueue.Monitor)
            .CreateLogger();
    }

    /// <summary>The section without its sinks (levels, enrichers, filters), and only its sinks.</summary>
    private static (IConfiguration Front, IConfiguration SinksOnly) SplitSinks(IConfiguration configuration)
    {
        var section = configuration.GetSection("Serilog").AsEnumerable().Where(pair => pair.Value is not null).ToList();
        static bool IsSink(string key) => IsUnder(key, "Serilog:WriteTo") || IsUnder(key, "Serilog:Using");
        var front = section.Where(pair => !IsUnder(pair.Key, "Serilog:WriteTo"));
        var sinks = section.Where(pair => IsSink(pair.Key));
        return (new ConfigurationBuilder().AddInMemoryCollection(front).Build(), new ConfigurationBuilder().AddInMemoryCollection(sinks).Build());
    }

    private static bool IsGenericHostStartFailure(LogEvent logEvent) =>
        logEvent.Level >= LogEventLevel.Error
        && logEvent.MessageTemplate.Text.StartsWith("Hosting failed to start", StringComparison.Ordinal)
        && logEvent.Properties.TryGetValue(Constants.SourceContextPropertyName, out var source)
        && source is ScalarValue { Value: "Microsoft.Extensions.Hosting.Internal.Host" };

    /// <summary>
    /// A copy of the configuration without the Console entries of <c>Serilog:WriteTo</c> (array or object form),
    /// and the first such entry's <c>outputTemplate</c>, which the log file then keeps.
    /// </summary>
    private static (IConfiguration Configuration, string? ConsoleTemplate) WithoutConsoleSinks(IConfiguration configuration)
    {
        var consoleSinks = configuration.GetSection("Serilog:WriteTo").GetChildren()
            .Where(sink => string.Equals(sink["Name"], "Console", StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (consoleSinks.Count == 0)
        {
            return (configuration, null);
        }

        var template = consoleSinks.Select(sink => sink["Args:outputTemplate"]).FirstOrDefault(t => !string.IsNullOrEmpty(t));
        var dropped = consoleSinks.Select(sink => sink.Path).ToList();
        var kept = configuration.GetSection("Serilog").AsEnumerable()
            .Where(pair => pair.Value is not null && !dropped.Any(path => IsUnder(pair.Key, path)));
        return (new ConfigurationBuilder().AddInMemoryCollection(kept).Build(), template);
    }

    private static bool IsUnder(string key, string path) =>
        key.Equals(path, StringComparison.OrdinalIgnoreCase) || key.StartsWith(path + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase);
}
