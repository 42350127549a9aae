using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>A Serilog sink that keeps every event so tests can assert what was logged.</summary>
internal sealed class LogCapture : ILogEventSink
{
    // Renders strings without quotes, as an operator reads them on the console.
    private static readonly MessageTemplateTextFormatter s_formatter = new("{Message:lj}", System.Globalization.CultureInfo.InvariantCulture);
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public static string Render(LogEvent logEvent)
    {
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        s_formatter.Format(logEvent, writer);
        return writer.ToString();
    }

    public IReadOnlyCollection<LogEvent> Events => _events;

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    public IEnumerable<string> Messages(LogEventLevel? minimum = null) =>
        _events.Where(e => minimum is null || e.Level >= minimum).Select(e => Render(e));

    public bool Contains(string fragment, LogEventLevel? level = null) =>
        _events.Any(e => (level is null || e.Level == level) && Render(e).Contains(fragment, StringComparison.Ordinal));

    public Task WaitForAsync(string fragment, LogEventLevel? level = null, TimeSpan? timeout = null) =>
        Wait.UntilAsync(() => Contains(fragment, level), timeout, $"a log event containing \"{fragment}\"; got:{Environment.NewLine}{string.Join(Environment.NewLine, Messages())}");
}
