using Serilog.Core;
using Serilog.Events;

namespace PluggableNet.Host.Service;

/// <summary>
/// Adds <c>SyslogPriority</c>, the syslog severity of each event, so a console template starting with
/// <c>&lt;{SyslogPriority}&gt;</c> gives journald the right priority per line (the sd-daemon "&lt;N&gt;" prefix).
/// </summary>
internal sealed class SyslogPriorityEnricher : ILogEventEnricher
{
    public const string PropertyName = "SyslogPriority";

    // One cached property per level: enrichment runs for every event.
    private static readonly LogEventProperty[] s_properties =
        Enum.GetValues<LogEventLevel>().Select(level => new LogEventProperty(PropertyName, new ScalarValue(Priority(level)))).ToArray();

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory) =>
        logEvent.AddPropertyIfAbsent(s_properties[(int)logEvent.Level]);

    /// <summary>debug 7, info 6, warning 4, err 3, crit 2 (syslog(3) numbering).</summary>
    public static int Priority(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => 7,
        LogEventLevel.Information => 6,
        LogEventLevel.Warning => 4,
        LogEventLevel.Error => 3,
        _ => 2,
    };
}
