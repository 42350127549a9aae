using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Driver.ProtocolV2;

/// <summary>
/// The protocol-v2 benchmark (issue: v2 costs at most 5 % against v1; no head-of-line blocking; a drain processes
/// nothing twice): the throughput session with <c>-v2</c> servers beside their v1 counterparts, then the head-of-line
/// runs, then the drain runs; writes results.json, results.md and throughput.md into the output folder.
/// </summary>
internal static class ProtocolV2Suite
{
    private static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(ProtocolV2Options options, TextWriter log, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.Now;
        var output = options.Throughput.OutputDirectory;
        Directory.CreateDirectory(output);
        var failed = false;
        var document = new JsonObject
        {
            ["started"] = started.ToString("O"),
            ["commandLine"] = options.Throughput.CommandLine,
            ["machine"] = JsonSerializer.SerializeToNode(MachineInfo.Current(), _json),
        };
        var markdown = new StringBuilder();
        markdown.AppendLine("# Protocol v2 benchmark");
        markdown.AppendLine();
        markdown.AppendLine(Invariant($"- Date: {started:yyyy-MM-dd HH:mm:ss zzz}; command: `{options.Throughput.CommandLine}`"));

        if (options.Runs("throughput"))
        {
            var session = await new BenchmarkSession(options.Throughput, log).RunAsync(cancellationToken).ConfigureAwait(false);
            var rows = ResultSummary.Build(session);
            var throughputMarkdown = MarkdownReport.Render(session, rows);
            await File.WriteAllTextAsync(Path.Combine(output, "throughput.md"), throughputMarkdown, cancellationToken).ConfigureAwait(false);
            document["throughput"] = JsonNode.Parse(JsonReport.Render(session, rows));
            var cost = new StringBuilder();
            V2CostReport.Append(cost, session);
            markdown.Append(cost);
            markdown.AppendLine();
            markdown.AppendLine("Full table: [throughput.md](throughput.md).");
            failed |= !session.Succeeded;
        }

        var benchPlugins = BenchPlugins.Prepare();
        try
        {
            if (options.Runs("headofline"))
            {
                var runs = await HeadOfLineAsync(options, benchPlugins, log, cancellationToken).ConfigureAwait(false);
                var summary = HeadOfLineSummary(runs);
                document["headOfLine"] = new JsonObject
                {
                    ["settings"] = new JsonObject
                    {
                        ["rounds"] = options.HeadOfLineRounds,
                        ["durationSeconds"] = options.HeadOfLineDuration.TotalSeconds,
                        ["warmupSeconds"] = options.HeadOfLineWarmup.TotalSeconds,
                        ["requestsPerSecond"] = options.HeadOfLineRate,
                        ["slowEvery"] = options.HeadOfLineSlowEvery,
                        ["slowMs"] = 100,
                        ["connections"] = 1,
                        ["payloadBytes"] = 64,
                    },
                    ["summary"] = summary,
                    ["runs"] = JsonSerializer.SerializeToNode(runs, _json),
                };
                AppendHeadOfLine(markdown, options, summary);
                failed |= runs.Any(r => r.Errors > 0);
            }

            if (options.Runs("drain"))
            {
                var runs = await DrainAsync(options, benchPlugins, log, cancellationToken).ConfigureAwait(false);
                document["drain"] = new JsonObject
                {
                    ["settings"] = new JsonObject
                    {
                        ["rounds"] = options.DrainRounds,
                        ["connections"] = options.DrainConnections,
                        ["depth"] = options.DrainDepth,
                        ["secondsBeforeStop"] = options.DrainBefore.TotalSeconds,
                        ["secondsAfterStop"] = options.DrainAfter.TotalSeconds,
                    },
                    ["runs"] = JsonSerializer.SerializeToNode(runs, _json),
                };
                AppendDrain(markdown, runs);
                failed |= runs.Any(r => r.Errors > 0 || r.ProcessedTwice > 0 || r.AnsweredNotProcessed > 0 || r.ProcessedNotAnswered > 0);
            }
        }
        finally
        {
            BenchPlugins.Delete(benchPlugins);
        }

        document["finished"] = DateTimeOffset.Now.ToString("O");
        document["succeeded"] = !failed;
        await File.WriteAllTextAsync(Path.Combine(output, "results.json"), document.ToJsonString(_json), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(output, "results.md"), markdown.ToString(), cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync(markdown.ToString()).ConfigureAwait(false);
        await log.WriteLineAsync($"results written to {output}").ConfigureAwait(false);
        return failed ? 1 : 0;
    }

    /// <summary>Per round one host (Probe, offloaded, 100 ms slow calls); v1 and v2, with and without the slow call, in alternating order.</summary>
    private static async Task<List<HeadOfLineResult>> HeadOfLineAsync(ProtocolV2Options options, string benchPlugins, TextWriter log, CancellationToken cancellationToken)
    {
        var results = new List<HeadOfLineResult>();
        var variants = new (WireVersion Protocol, bool Slow)[] { (WireVersion.V1, true), (WireVersion.V2, true), (WireVersion.V2, false), (WireVersion.V1, false) };
        var host = ServerDefinition.Host("epoll-probe", "Epoll", options.Throughput.HostDll, $"--Logic:PluginsPath={benchPlugins}", "--Logic:Plugin=Probe", "--Plugins:Probe:SlowMs=100");
        for (var round = 1; round <= options.HeadOfLineRounds; round++)
        {
            using var server = await ServerProcess.StartAsync(host, new Scenario("headofline", 1, 1, 64), benchPlugins, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            foreach (var (protocol, slow) in (round % 2 == 1 ? variants : variants.Reverse()))
            {
                var run = new HeadOfLineRun(protocol, server.Port, options.HeadOfLineRate, slow ? options.HeadOfLineSlowEvery : 0, options.HeadOfLineDuration, options.HeadOfLineWarmup);
                var result = await run.RunAsync(round, cancellationToken).ConfigureAwait(false);
                results.Add(result);
                log.WriteLine(Invariant($"  headofline {result.Protocol} {(slow ? "with slow" : "no slow  ")} round {round}: fast {result.FastAnswers} p50 {result.FastP50Us:F0} p99 {result.FastP99Us:F0} max {result.FastMaxUs:F0} us; slow {result.SlowAnswers} p50 {result.SlowP50Us:F0} us; late sends {result.LateSends}; errors {result.Errors} {result.FirstError}"));
            }
        }

        return results;
    }

    private static JsonObject HeadOfLineSummary(List<HeadOfLineResult> runs)
    {
        double? Median(Func<HeadOfLineResult, bool> select, Func<HeadOfLineResult, double> figure) => Driver.Median.Of(runs.Where(select).Select(r => (double?)figure(r)));
        double? RatioMedian(string protocol) => Driver.Median.Of(runs.Where(r => r.Protocol == protocol && r.WithSlow).Select(r =>
            runs.FirstOrDefault(o => o.Protocol == protocol && !o.WithSlow && o.Round == r.Round) is { FastP99Us: > 0 } without ? r.FastP99Us / without.FastP99Us : (double?)null));
        return new JsonObject
        {
            ["v2FastP99UsWithSlow"] = Median(r => r.Protocol == "v2" && r.WithSlow, r => r.FastP99Us),
            ["v2FastP99UsWithoutSlow"] = Median(r => r.Protocol == "v2" && !r.WithSlow, r => r.FastP99Us),
            ["v2FastP99RatioWithOverWithout"] = RatioMedian("v2"),
            ["v1FastP99UsWithSlow"] = Median(r => r.Protocol == "v1" && r.WithSlow, r => r.FastP99Us),
            ["v1FastP99UsWithoutSlow"] = Median(r => r.Protocol == "v1" && !r.WithSlow, r => r.FastP99Us),
            ["v1FastP99RatioWithOverWithout"] = RatioMedian("v1"),
            ["v2FastP50UsWithSlow"] = Median(r => r.Protocol == "v2" && r.WithSlow, r => r.FastP50Us),
            ["v1FastP50UsWithSlow"] = Median(r => r.Protocol == "v1" && r.WithSlow, r => r.FastP50Us),
            ["slowP50UsV2"] = Median(r => r.Protocol == "v2" && r.WithSlow, r => r.SlowP50Us),
            ["targetV2RatioAtMost"] = 2.0,
            ["errors"] = runs.Sum(r => r.Errors),
        };
    }

    private static void AppendHeadOfLine(StringBuilder text, ProtocolV2Options options, JsonObject s)
    {
        text.AppendLine();
        text.AppendLine(Invariant($"## Head-of-line (one connection, {options.HeadOfLineRate:N0} requests/s open loop, one in {options.HeadOfLineSlowEvery} waits 100 ms offloaded; {options.HeadOfLineRounds} rounds of {options.HeadOfLineDuration.TotalSeconds:0.#} s)"));
        text.AppendLine();
        text.AppendLine("| Protocol | fast p99 with the slow call (µs) | fast p99 without (µs) | with ÷ without (median of rounds) | fast p50 with (µs) | target ≤ 2× |");
        text.AppendLine("|---|---:|---:|---:|---:|---|");
        foreach (var protocol in new[] { "v2", "v1" })
        {
            var ratio = (double?)s[$"{protocol}FastP99RatioWithOverWithout"];
            var verdict = protocol == "v1" ? "(v1: answers in order)" : ratio is { } r ? r <= 2 ? "yes" : "**no**" : "n/a";
            text.AppendLine(Invariant($"| {protocol} | {F((double?)s[$"{protocol}FastP99UsWithSlow"], "F0")} | {F((double?)s[$"{protocol}FastP99UsWithoutSlow"], "F0")} | {F(ratio, "F2")}× | {F((double?)s[$"{protocol}FastP50UsWithSlow"], "F0")} | {verdict} |"));
        }
    }

    private static async Task<List<DrainResult>> DrainAsync(ProtocolV2Options options, string benchPlugins, TextWriter log, CancellationToken cancellationToken)
    {
        var results = new List<DrainResult>();
        for (var round = 1; round <= options.DrainRounds; round++)
        {
            foreach (var offloaded in round % 2 == 1 ? new[] { false, true } : [true, false])
            {
                var run = new DrainRun(options.Throughput.HostDll, benchPlugins, offloaded, options.DrainConnections, options.DrainDepth, options.DrainBefore, options.DrainAfter, log);
                var r = await run.RunAsync(round, cancellationToken).ConfigureAwait(false);
                results.Add(r);
                log.WriteLine(Invariant($"  drain {r.Execution,-9} round {round}: sent {r.Sent:N0}, answered {r.Answered:N0}, resent {r.Resent:N0} (SHUTTING_DOWN {r.ShuttingDownErrors}, above lastId {r.AboveLastId}), GOAWAYs {r.GoAways}, processed {r.Processed:N0} ({r.ProcessedOnFirstHost:N0} on the first host), processed twice {r.ProcessedTwice}, answered not processed {r.AnsweredNotProcessed}, processed not answered {r.ProcessedNotAnswered}, errors {r.Errors}"));
            }
        }

        return results;
    }

    private static void AppendDrain(StringBuilder text, List<DrainResult> runs)
    {
        var first = runs.FirstOrDefault();
        text.AppendLine();
        text.AppendLine(Invariant($"## Drain (a host stops while a second takes over; {first?.Connections} connections × {first?.Depth} in flight, v2)"));
        text.AppendLine();
        text.AppendLine("| Round | Plugin | sent | answered | resent (SHUTTING_DOWN + above lastId) | GOAWAYs | processed (first host) | **processed twice** | answered, not in a ledger | processed, not answered | errors |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in runs)
        {
            text.AppendLine(Invariant($"| {r.Round} | {r.Execution} | {r.Sent:N0} | {r.Answered:N0} | {r.Resent:N0} ({r.ShuttingDownErrors:N0} + {r.AboveLastId:N0}) | {r.GoAways} | {r.Processed:N0} ({r.ProcessedOnFirstHost:N0}) | **{r.ProcessedTwice}** | {r.AnsweredNotProcessed} | {r.ProcessedNotAnswered} | {r.Errors} |"));
        }
    }

    private static string F(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
