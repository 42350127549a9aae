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
        text.AppendLine(Invariant($"- Settings: {o.Rounds} round(s), {o.Duration.TotalSeconds:0.##} s measured after {o.Warmup.TotalSeconds:0.##} s warm-up per run, servers in order {string.Join(", ", o.Servers)}{(o.Smoke ? ", SMOKE settings (not a benchmark)" : string.Empty)}"));
        text.AppendLine("- Load generator: in-process PluggableNet.LoadGen, every answer verified byte for byte; latencies from HDR histograms, measured window only.");
        text.AppendLine("- Figures are medians over the rounds; ratios are to Kestrel in the same round (median of per-round ratios). CPU = server utime+stime; alloc = server GC.GetTotalAllocatedBytes via its control socket.");
        text.AppendLine();

        text.AppendLine("| Scenario | Server | req/s | ×Kestrel | p50 µs | p99 µs | p99.9 µs | p99 ×Kestrel | CPU s/100k req | CPU ×Kestrel | alloc B/req | alloc ×Kestrel | idle RSS B/conn | errors |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in Ordered(session, rows))
        {
            text.AppendLine(Invariant(
                $"| {row.Scenario} | {row.Server} | {N(row.RequestsPerSecond, "N0")} | {R(row.RequestsPerSecondRatio)} | {N(row.P50Us, "F1")} | {N(row.P99Us, "F1")} | {N(row.P999Us, "F1")} | {R(row.P99Ratio)} | {N(row.CpuSecondsPer100K, "F3")} | {R(row.CpuRatio)} | {N(row.AllocatedBytesPerRequest, "F2")} | {R(row.AllocatedRatio)} | {N(row.IdleRssBytesPerConnection, "N0")} | {row.Errors} |"));
        }

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
        .ThenBy(r => IndexOf(session.Options.Servers, r.Server));

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
