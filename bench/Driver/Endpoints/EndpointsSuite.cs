using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluggableNet.Bench.Driver.Endpoints;

/// <summary>
/// Issue 22's "two endpoints serving at once cost nothing measurable against one": per round and scenario, the C
/// baseline (one load generator, then the same load split over two), and per transport the host with one endpoint
/// under the whole load and with two endpoints each under half of it, in alternating order. Ratios are taken within a
/// round against the C run with as many load generators; the report gives their medians.
/// </summary>
internal static class EndpointsSuite
{
    private static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(EndpointsOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.Now;
        FileDescriptorLimit.RaiseToHardLimit();
        var (cServer, cLoadGen) = CBaseline.Build();
        var client = new CLoadClient(cLoadGen);
        var variants = EndpointsVariant.For(options.Transports);
        var scenarios = options.Scenarios.Select(s => Scenario.Get(s, options.Smoke)).ToList();
        var runs = new List<EndpointsRun>();
        var failures = new List<string>();
        var benchPlugins = BenchPlugins.Prepare();
        try
        {
            for (var round = 1; round <= options.Rounds; round++)
            {
                foreach (var scenario in scenarios)
                {
                    foreach (var variant in BenchmarkSession.InRoundOrder(variants.Select(v => v.Name).ToList(), round).Select(n => variants.First(v => v.Name == n)))
                    {
                        try
                        {
                            var run = await EndpointsLoad.RunAsync(variant, scenario, round, options, cServer, client, benchPlugins, cancellationToken).ConfigureAwait(false);
                            runs.Add(run);
                            log.WriteLine(Invariant($"  round {round} {scenario.Name,-9} {variant.Name,-9} {run.RequestsPerSecond,10:N0} req/s ({string.Join(" + ", run.PerClientRequestsPerSecond.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}) p99 {run.P99Us:F0} us cpu/100k {run.CpuSecondsPer100K:F2} s errors {run.Errors}"));
                        }
                        catch (Exception exception) when (exception is not OperationCanceledException)
                        {
                            failures.Add($"round {round}, {scenario.Name}, {variant.Name}: {exception.Message}");
                            log.WriteLine($"FAILED round {round}, {scenario.Name}, {variant.Name}: {exception.Message}");
                        }
                    }
                }
            }
        }
        finally
        {
            BenchPlugins.Delete(benchPlugins);
        }

        var summary = Summarize(variants, scenarios, runs);
        Directory.CreateDirectory(options.OutputDirectory);
        var document = new JsonObject
        {
            ["started"] = started.ToString("O"),
            ["finished"] = DateTimeOffset.Now.ToString("O"),
            ["commandLine"] = options.CommandLine,
            ["machine"] = JsonSerializer.SerializeToNode(MachineInfo.Current(), _json),
            ["settings"] = JsonSerializer.SerializeToNode(new { options.Rounds, DurationSeconds = options.Duration.TotalSeconds, WarmupSeconds = options.Warmup.TotalSeconds, options.Transports, options.Scenarios }, _json),
            ["summary"] = JsonSerializer.SerializeToNode(summary, _json),
            ["runs"] = JsonSerializer.SerializeToNode(runs, _json),
            ["failures"] = JsonSerializer.SerializeToNode(failures, _json),
        };
        var markdown = Render(options, scenarios, summary, failures, started);
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "results.json"), document.ToJsonString(_json), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "results.md"), markdown, cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync(markdown).ConfigureAwait(false);
        await log.WriteLineAsync($"results written to {options.OutputDirectory}").ConfigureAwait(false);
        return failures.Count > 0 || runs.Any(r => r.Errors > 0) ? 1 : 0;
    }

    /// <summary>Per scenario and host variant: the per-round ratios over its C baseline and over the one-endpoint run, and their medians.</summary>
    internal static List<EndpointsSummaryRow> Summarize(IReadOnlyList<EndpointsVariant> variants, IReadOnlyList<Scenario> scenarios, IReadOnlyList<EndpointsRun> runs)
    {
        var rows = new List<EndpointsSummaryRow>();
        foreach (var scenario in scenarios)
        {
            EndpointsRun? Of(string name, int round) => runs.FirstOrDefault(r => r.Variant == name && r.Scenario == scenario.Name && r.Round == round);
            foreach (var variant in variants)
            {
                var own = runs.Where(r => r.Variant == variant.Name && r.Scenario == scenario.Name).ToList();
                var overC = own.Select(r => Of(variant.Baseline.Name, r.Round) is { RequestsPerSecond: > 0 } c && variant.IsHost ? r.RequestsPerSecond / c.RequestsPerSecond : (double?)null).ToList();
                // Two endpoints against one under the same two load generators, in the same round: req/s and CPU per request.
                var one = variant.IsHost && variant.Endpoints == 2 ? variants.First(v => v.Transport == variant.Transport && v.Endpoints == 1 && v.Clients == variant.Clients).Name : null;
                var overOne = own.Select(r => one is not null && Of(one, r.Round) is { RequestsPerSecond: > 0 } o ? r.RequestsPerSecond / o.RequestsPerSecond : (double?)null).ToList();
                var cpuOverOne = own.Select(r => one is not null && Of(one, r.Round) is { CpuSecondsPer100K: > 0 } o && r.CpuSecondsPer100K is { } cpu ? cpu / o.CpuSecondsPer100K : (double?)null).ToList();
                rows.Add(new EndpointsSummaryRow(
                    scenario.Name,
                    variant.Name,
                    variant.Baseline.Name,
                    Median.Of(own.Select(r => (double?)r.RequestsPerSecond)),
                    Median.Of(own.Select(r => (double?)r.P99Us)),
                    Median.Of(own.Select(r => r.CpuSecondsPer100K)),
                    [.. overC.OfType<double>()],
                    Median.Of(overC),
                    [.. overOne.OfType<double>()],
                    Median.Of(overOne),
                    Median.Of(cpuOverOne),
                    own.Sum(r => r.Errors)));
            }
        }

        return rows;
    }

    private static string Render(EndpointsOptions options, IReadOnlyList<Scenario> scenarios, List<EndpointsSummaryRow> rows, List<string> failures, DateTimeOffset started)
    {
        var text = new StringBuilder();
        text.AppendLine("# Two endpoints against one");
        text.AppendLine();
        text.AppendLine(Invariant($"- Date: {started:yyyy-MM-dd HH:mm:ss zzz}; command: `{options.CommandLine}`; {options.Rounds} round(s), {options.Warmup.TotalSeconds:0.#} s warm-up + {options.Duration.TotalSeconds:0.#} s measured per run, variants in alternating order."));
        foreach (var scenario in scenarios)
        {
            text.AppendLine(Invariant($"- {scenario.Name}: {scenario.Describe()}, Reverse."));
        }

        text.AppendLine("- `-1`: one endpoint under one load generator with all connections; `-1x2`: one endpoint under two load generators with half of them each; `-2`: two endpoints, each under its own load generator with half of them, at once; `c-split`: the C server under two load generators. Two ÷ one compares `-2` with `-1x2` (the same load generators; only the number of endpoints differs).");

        text.AppendLine();
        text.AppendLine("| Scenario | Server | req/s (median) | p99 µs (median) | CPU s/100k (median) | ÷ C per round | ÷ C (median) | two ÷ one per round | two ÷ one (median) | CPU/request two ÷ one (median) | errors |");
        text.AppendLine("|---|---|---:|---:|---:|---|---:|---|---:|---:|---:|");
        foreach (var r in rows)
        {
            text.AppendLine(Invariant($"| {r.Scenario} | {r.Server} | {F(r.RequestsPerSecond, "N0")} | {F(r.P99Us, "F0")} | {F(r.CpuSecondsPer100K, "F2")} | {Ratios(r.RatiosOverC)} | {(r.RatioOverC is null ? "—" : $"{F(r.RatioOverC, "F2")}× {r.Baseline}")} | {Ratios(r.TwoOverOneRatios)} | {F(r.TwoOverOne, "F2")} | {F(r.CpuTwoOverOne, "F2")} | {r.Errors} |"));
        }

        if (failures.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Failures:");
            foreach (var failure in failures)
            {
                text.AppendLine($"- {failure}");
            }
        }

        return text.ToString();
    }

    private static string Ratios(IReadOnlyList<double> ratios) =>
        ratios.Count == 0 ? "—" : string.Join(", ", ratios.Select(v => v.ToString("F2", CultureInfo.InvariantCulture)));

    private static string F(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "—";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One line of the endpoints report.</summary>
internal sealed record EndpointsSummaryRow(
    string Scenario,
    string Server,
    string Baseline,
    double? RequestsPerSecond,
    double? P99Us,
    double? CpuSecondsPer100K,
    IReadOnlyList<double> RatiosOverC,
    double? RatioOverC,
    IReadOnlyList<double> TwoOverOneRatios,
    double? TwoOverOne,
    double? CpuTwoOverOne,
    long Errors);
