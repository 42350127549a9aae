using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// What the suites that write their own results folder (fanout, session-swap) share: results.json's envelope, the
/// writing of README.md and results.json, the machine's load average and the progress log.
/// </summary>
internal static class SuiteResults
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>results.json: when, how, on what machine, under what load, with which settings; the summary and every run.</summary>
    public static JsonObject Document<TSettings, TSummary, TRun>(
        DateTimeOffset started,
        DateTimeOffset finished,
        string commandLine,
        (string? Before, string? After) load,
        MachineInfo machine,
        TSettings settings,
        TSummary summary,
        IReadOnlyList<TRun> runs,
        bool succeeded) => new()
        {
            ["started"] = started.ToString("O"),
            ["finished"] = finished.ToString("O"),
            ["commandLine"] = commandLine,
            ["loadAverageBefore"] = load.Before,
            ["loadAverageAfter"] = load.After,
            ["machine"] = JsonSerializer.SerializeToNode(machine, Json),
            ["settings"] = JsonSerializer.SerializeToNode(settings, Json),
            ["summary"] = JsonSerializer.SerializeToNode(summary, Json),
            ["runs"] = JsonSerializer.SerializeToNode(runs, Json),
            ["succeeded"] = succeeded,
        };

    /// <summary>Writes README.md and results.json into <paramref name="outputDirectory"/>, and the report to the log.</summary>
    public static async Task WriteAsync(string outputDirectory, string markdown, JsonNode document, TextWriter log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(outputDirectory);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "README.md"), markdown, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "results.json"), document.ToJsonString(Json), cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync(markdown).ConfigureAwait(false);
        await log.WriteLineAsync($"results written to {outputDirectory}").ConfigureAwait(false);
    }

    /// <summary>Reads results.json of an earlier run in <paramref name="outputDirectory"/> (to render its README.md again).</summary>
    public static async Task<JsonNode> ReadAsync(string outputDirectory, CancellationToken cancellationToken) =>
        JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outputDirectory, "results.json"), cancellationToken).ConfigureAwait(false))!;

    /// <summary>README.md rendered again and results.json with its summary recomputed, from an earlier run's results.</summary>
    public static async Task RewriteAsync(string outputDirectory, string markdown, JsonNode document, TextWriter log, CancellationToken cancellationToken)
    {
        var path = Path.Combine(outputDirectory, "results.json");
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "README.md"), markdown, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(path, document.ToJsonString(Json), cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync($"README.md written again from {path}").ConfigureAwait(false);
    }

    /// <summary>The 1, 5 and 15 minute load averages, or null where /proc is not there.</summary>
    public static string? LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static void Log(TextWriter log, string line)
    {
        log.WriteLine(line);
        log.Flush();
    }
}
