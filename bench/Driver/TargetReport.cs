using System.Globalization;
using System.Text;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// The "Targets" section of results.md: issue 12's targets for the default configuration (server <c>epoll</c>), each
/// with the measured median and whether it is met, so a rerun is judged the same way every time.
/// </summary>
internal static class TargetReport
{
    public static void Append(StringBuilder text, SessionResult session, IReadOnlyList<SummaryRow> rows)
    {
        var lines = Targets(session, rows).ToList();
        if (lines.Count == 0)
        {
            return;
        }

        text.AppendLine();
        text.AppendLine("## Targets (default configuration, medians of per-round ratios)");
        text.AppendLine();
        text.AppendLine("| Target | Measured | Met |");
        text.AppendLine("|---|---:|---|");
        foreach (var (target, measured, met) in lines)
        {
            // Without the baseline in the run (a protocol-v2 run has no C server) nothing was measured: not a miss.
            text.AppendLine($"| {target} | {measured} | {(met is null || measured == "n/a" ? "n/a" : met.Value ? "yes" : "**no**")} |");
        }
    }

    private static IEnumerable<(string Target, string Measured, bool? Met)> Targets(SessionResult session, IReadOnlyList<SummaryRow> rows)
    {
        SummaryRow? Row(string scenario) => rows.FirstOrDefault(r => r.Server == "epoll" && r.Scenario == scenario);

        foreach (var scenario in new[] { Scenario.PingPong, Scenario.Pipelined })
        {
            if (Row(scenario) is { } row)
            {
                yield return ($"{scenario}, same cores as the client: req/s ≥ 0.95× C", R(row.RequestsPerSecondRatioC), row.RequestsPerSecondRatioC >= 0.95);
                yield return ($"{scenario}: p99 ≤ 1.2× C", R(row.P99RatioC), row.P99RatioC <= 1.2);
                yield return ($"{scenario}: CPU per request ≤ 1.1× C", R(row.CpuRatioC), row.CpuRatioC <= 1.1);
            }
        }

        if (Row(Scenario.Pinned) is { } pinned)
        {
            yield return ("pinned (server on its own core): req/s ≥ 1.0× C", R(pinned.RequestsPerSecondRatioC), pinned.RequestsPerSecondRatioC >= 1.0);
        }

        var heavy = session.Measurements.Where(m => m.Scenario == Scenario.Heavy).ToList();
        if (heavy.Any(m => m.Server == "epoll"))
        {
            var best = PerRound(heavy, (auto, round) => round.Where(m => ServerDefinition.FixedReactors(m.Server) is not null).Select(m => m.Load.RequestsPerSecond).DefaultIfEmpty(0).Max() is var b and > 0 ? auto / b : null);
            var single = PerRound(heavy, (auto, round) => round.FirstOrDefault(m => m.Server == "epoll-r1") is { Load.RequestsPerSecond: > 0 } one ? auto / one.Load.RequestsPerSecond : null);
            yield return ("heavy (CPU-heavy plugin): default ≥ 0.95× the best fixed ReactorThreads", R(best), best >= 0.95);
            yield return ("heavy: default ≥ 1.6× a single reactor", R(single), single >= 1.6);
        }

        if (Row(Scenario.Idle) is { } idle)
        {
            yield return ("idle: RSS per idle connection ≤ 2 KiB", idle.IdleRssBytesPerConnection is { } b ? b.ToString("N0", CultureInfo.InvariantCulture) + " B" : "n/a", idle.IdleRssBytesPerConnection <= 2048);
        }

        // The 64 B scenarios only: at a few hundred 1 MiB requests per window, the two status queries that read the
        // counter (≈ 8 KiB each) alone come to tens of bytes per request.
        var allocations = rows.Where(r => r.Server == "epoll" && r.AllocatedBytesPerRequest is not null && r.Scenario is not (Scenario.Large or Scenario.Huge)).ToList();
        if (allocations.Count > 0)
        {
            var worst = allocations.Max(r => r.AllocatedBytesPerRequest!.Value);
            yield return ("0 B allocated per request (64 B scenarios, worst; status queries and JIT tiering of a 3 s old process included)", worst.ToString("F2", CultureInfo.InvariantCulture) + " B", worst < 0.5);
        }

        foreach (var scenario in new[] { Scenario.Large, Scenario.Huge })
        {
            if (Row(scenario) is { } row)
            {
                yield return ($"{scenario} frames: req/s vs C (reported, no target)", R(row.RequestsPerSecondRatioC), null);
            }
        }
    }

    /// <summary>Median over rounds of <paramref name="ratio"/>(epoll's req/s, that round's measurements).</summary>
    private static double? PerRound(IReadOnlyList<Measurement> measurements, Func<double, IReadOnlyList<Measurement>, double?> ratio) =>
        Median.Of(measurements.GroupBy(m => m.Round).Select(round =>
            round.FirstOrDefault(m => m.Server == "epoll") is { } auto ? ratio(auto.Load.RequestsPerSecond, round.ToList()) : null));

    private static string R(double? ratio) => ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) + "×" : "n/a";
}
