using System.Globalization;
using System.Text;

namespace PluggableNet.Bench.Driver;

/// <summary>Writes results.md: how, where and when it ran, then one table row per server and scenario.</summary>
internal static class MarkdownReport
{
    // Within ±10 % a change is treated as noise on a shared 2-core machine.
    private const double NoiseBand = 0.10;

    public static string Render(SessionResult session, IReadOnlyList<SummaryRow> rows)
    {
        var o = session.Options;
        var m = session.Machine;
        var text = new StringBuilder();
        text.AppendLine("# PluggableNet benchmark results");
        text.AppendLine();
        text.AppendLine(Invariant($"- Date: {session.Started:yyyy-MM-dd HH:mm:ss zzz} (took {(session.Finished - session.Started).TotalSeconds:F0} s)"));
        text.AppendLine(Invariant($"- Machine: {m.Processors} logical CPUs, {m.CpuModel}, {m.TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB RAM, {m.OperatingSystem}"));
        text.AppendLine(Invariant($"- .NET: {m.DotnetVersion}"));
        text.AppendLine(Invariant($"- Command: `{o.CommandLine}`"));
        text.AppendLine(Invariant($"- Settings: {o.Rounds} round(s), {o.Duration.TotalSeconds:0.##} s measured after {o.Warmup.TotalSeconds:0.##} s warm-up per run, servers in order {string.Join(", ", o.Servers)} (reversed in even rounds){(o.Smoke ? ", SMOKE settings (not a benchmark)" : string.Empty)}"));
        text.AppendLine(o.Client == "c"
            ? "- Load generator: bench/Baselines/C/loadgen.c (one thread, epoll, built with cc -O2), every answer verified byte for byte; latencies per answer from its batch's send, measured window only."
            : "- Load generator: in-process PluggableNet.LoadGen, every answer verified byte for byte; latencies from HDR histograms, measured window only.");
        text.AppendLine("- Baselines: **c** = bench/Baselines/C/server.c, a minimal single-threaded epoll server (the practical limit of one thread here); **kestrel** = the Kestrel connection-handler baseline. epoll = PluggableNet with default settings (`Server:ReactorThreads=auto`), epoll-rN = N fixed reactors.");
        text.AppendLine("- Figures are medians over the rounds; ratios are to C and to Kestrel in the same round (median of per-round ratios). CPU = server utime+stime per 100k requests (client = load generator's own); alloc = server GC.GetTotalAllocatedBytes via its control socket; reactors = active reactors at the end of the window.");
        text.AppendLine();

        text.AppendLine("| Scenario | Server | req/s | ×C | ×Kestrel | p50 µs | p99 µs | p99 ×C | p99 ×Kestrel | CPU s/100k req | CPU ×C | client CPU s/100k | alloc B/req | idle RSS B/conn | reactors | errors |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in Ordered(session, rows))
        {
            text.AppendLine(Invariant(
                $"| {row.Scenario} | {row.Server} | {N(row.RequestsPerSecond, "N0")} | {R(row.RequestsPerSecondRatioC)} | {R(row.RequestsPerSecondRatio)} | {N(row.P50Us, "F1")} | {N(row.P99Us, "F1")} | {R(row.P99RatioC)} | {R(row.P99Ratio)} | {N(row.CpuSecondsPer100K, "F3")} | {R(row.CpuRatioC)} | {N(row.ClientCpuSecondsPer100K, "F3")} | {N(row.AllocatedBytesPerRequest, "F2")} | {N(row.IdleRssBytesPerConnection, "N0")} | {N(row.ActiveReactors, "0.#")} | {row.Errors} |"));
        }

        TargetReport.Append(text, session, rows);
        MetricsCostReport.Append(text, session);
        V2CostReport.Append(text, session);

        var idleRows = rows.Where(r => r.Scenario == Scenario.Idle).ToList();
        if (idleRows.Count > 0)
        {
            var idle = Scenario.Get(Scenario.Idle, o.Smoke);
            text.AppendLine();
            text.AppendLine(Invariant($"## Idle connections ({idle.IdleConnections:N0} held open, then pingpong on {idle.Connections} more)"));
            text.AppendLine();
            text.AppendLine("| Server | RSS growth per idle conn (B) | req/s with idle ÷ without | p99 with idle ÷ without | active figures |");
            text.AppendLine("|---|---:|---:|---:|---|");
            foreach (var row in idleRows)
            {
                text.AppendLine(Invariant(
                    $"| {row.Server} | {N(row.IdleRssBytesPerConnection, "N0")} | {R(row.ActiveWithIdleRatio)} | {R(row.ActiveWithIdleP99Ratio)} | {Verdict(row)} |"));
            }
        }

        text.AppendLine();
        text.AppendLine("## Scenarios");
        text.AppendLine();
        foreach (var name in o.Scenarios)
        {
            text.AppendLine($"- **{name}**: {Scenario.Get(name, o.Smoke).Describe()}");
        }

        text.AppendLine();
        text.AppendLine(Invariant($"Total LoadGen errors: {session.TotalErrors}."));
        if (session.Failures.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("## Failures");
            text.AppendLine();
            foreach (var failure in session.Failures)
            {
                text.AppendLine($"- {failure.Split('\n')[0]}");
            }
        }

        text.AppendLine();
        text.AppendLine("![requests/s and p99 per server and scenario](chart.png)");
        return text.ToString();
    }

    /// <summary>Scenario order as run, servers in the order given on the command line.</summary>
    internal static IEnumerable<SummaryRow> Ordered(SessionResult session, IReadOnlyList<SummaryRow> rows) => rows
        .OrderBy(r => IndexOf(session.Options.Scenarios, r.Scenario))
        .ThenBy(r => ServerOrder(session, r.Server));

    /// <summary>Servers in command-line order, a scenario's extra servers (epoll-rN) right after epoll.</summary>
    internal static double ServerOrder(SessionResult session, string server) =>
        ServerDefinition.FixedReactors(server) is { } n ? IndexOf(session.Options.Servers, "epoll") + (n / 1000.0) : IndexOf(session.Options.Servers, server);

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    private static string Verdict(SummaryRow row)
    {
        if (row.ActiveWithIdleRatio is not { } rps)
        {
            return "n/a (run pingpong too)";
        }

        var p99 = row.ActiveWithIdleP99Ratio ?? 1;
        return Math.Abs(rps - 1) <= NoiseBand && Math.Abs(p99 - 1) <= NoiseBand
            ? "unchanged (within ±10 %)"
            : Invariant($"changed: req/s {(rps - 1) * 100:+0;-0} %, p99 {(p99 - 1) * 100:+0;-0} %");
    }

    private static string N(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string R(double? ratio) => ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) + "×" : "n/a";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
