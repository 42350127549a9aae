using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>
/// The session-swap benchmark (issue 21): per round each transport in turn (the order reversed in even rounds), each a
/// fresh host; writes README.md (medians per transport, every swap, every round) and results.json.
/// </summary>
internal static class SessionSwapSuite
{
    public static async Task<int> RunAsync(SessionSwapOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.Now;
        var loadBefore = SuiteResults.LoadAverage();
        var fdLimit = FileDescriptorLimit.RaiseToHardLimit();
        if (!File.Exists(options.HostDll))
        {
            await Console.Error.WriteLineAsync($"error: the host is not built: {options.HostDll} (dotnet build -c Release src/Host)").ConfigureAwait(false);
            return 2;
        }

        SuiteResults.Log(log, $"session-swap: {options.Sessions:N0} sessions in {options.Rooms} rooms, {options.Probes} probes, {options.Swaps} swaps {options.GapSeconds:0.##} s apart; {options.Rounds} round(s) of {string.Join(", ", options.Servers)}; descriptor limit {fdLimit}");
        var runs = new List<SessionSwapRun>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var server in BenchmarkSession.InRoundOrder(options.Servers, round))
            {
                SuiteResults.Log(log, $"  round {round} {server}");
                var run = await SessionSwapRunner.RunAsync(server, round, options, log, cancellationToken).ConfigureAwait(false);
                runs.Add(run);
                SuiteResults.Log(log, Describe(run));
            }
        }

        var context = new SessionSwapReportContext(options, MachineInfo.Current(), started, DateTimeOffset.Now, loadBefore, SuiteResults.LoadAverage());
        var document = SuiteResults.Document(
            started,
            context.Finished,
            options.CommandLine,
            (loadBefore, context.LoadAfter),
            context.Machine,
            options with { OutputDirectory = string.Empty, HostDll = Path.GetFileName(options.HostDll) },
            SessionSwapSummaryRow.Summarize(runs),
            runs,
            runs.All(r => r.Succeeded));
        var markdown = SessionSwapReport.Render(context, runs);
        await SuiteResults.WriteAsync(options.OutputDirectory, markdown, document, log, cancellationToken).ConfigureAwait(false);
        return runs.All(r => r.Succeeded) ? 0 : 1;
    }

    /// <summary>Writes README.md again from the results.json of an earlier run (after a change to the report only).</summary>
    public static async Task<int> RenderAsync(string outputDirectory, TextWriter log, CancellationToken cancellationToken)
    {
        var document = await SuiteResults.ReadAsync(outputDirectory, cancellationToken).ConfigureAwait(false);
        var options = document["settings"].Deserialize<SessionSwapOptions>(SuiteResults.Json)! with { OutputDirectory = outputDirectory };
        var runs = document["runs"].Deserialize<List<SessionSwapRun>>(SuiteResults.Json)!;
        var context = new SessionSwapReportContext(
            options,
            document["machine"].Deserialize<MachineInfo>(SuiteResults.Json)!,
            DateTimeOffset.Parse((string)document["started"]!, CultureInfo.InvariantCulture),
            DateTimeOffset.Parse((string)document["finished"]!, CultureInfo.InvariantCulture),
            (string?)document["loadAverageBefore"],
            (string?)document["loadAverageAfter"]);
        document["summary"] = JsonSerializer.SerializeToNode(SessionSwapSummaryRow.Summarize(runs), SuiteResults.Json);
        await SuiteResults.RewriteAsync(outputDirectory, SessionSwapReport.Render(context, runs), document, log, cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private static string Describe(SessionSwapRun r) => string.Create(
        CultureInfo.InvariantCulture,
        $"  round {r.Round} {r.Server,-8} {r.Sessions:N0} sessions (opened in {r.OpenSeconds:F2} s), {r.Swaps.Count(s => s.Migrated)}/{r.Swaps.Count} swaps migrated; pause median {Median.Of(r.Swaps.Select(s => s.PauseMs)):F1} ms, worst probe median {Median.Of(r.Swaps.Select(s => s.WorstLatencyMs)):F1} ms; probe median outside {r.ProbeMedianMs:F3} ms{(r.Failure is null ? string.Empty : "  FAILED: " + r.Failure)}");
}
