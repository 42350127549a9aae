using System.Globalization;
using System.Text;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// The "Cost of metrics" section of results.md: <c>epoll+metrics</c> (exporter on, every instrument listened to)
/// over <c>epoll</c> in the same round, per scenario, against issue 13's target of at least 0.97× throughput. Every
/// round's ratio is listed, not only the median, because on a shared machine the spread is the honest part.
/// </summary>
internal static class MetricsCostReport
{
    private const double Target = 0.97;

    public static void Append(StringBuilder text, SessionResult session)
    {
        var scenarios = session.Measurements.Where(m => m.Server == ServerDefinition.MetricsName).Select(m => m.Scenario).Distinct().ToList();
        if (scenarios.Count == 0 || !session.Measurements.Any(m => m.Server == "epoll"))
        {
            return;
        }

        text.AppendLine();
        text.AppendLine("## Cost of metrics (exporter on ÷ off, same round)");
        text.AppendLine();
        text.AppendLine("| Scenario | req/s ratio per round | median | CPU per request ratio (median) | req/s ≥ 0.97× |");
        text.AppendLine("|---|---|---:|---:|---|");
        foreach (var scenario in scenarios)
        {
            var pairs = session.Measurements.Where(m => m.Scenario == scenario).GroupBy(m => m.Round).Select(Pair).Where(p => p is not null).Select(p => p!.Value).ToList();
            var throughput = Median.Of(pairs.Select(p => (double?)p.Throughput));
            var cpu = Median.Of(pairs.Select(p => p.Cpu));
            var rounds = string.Join(", ", pairs.Select(p => F(p.Throughput)));
            var met = throughput is { } t ? t >= Target ? "yes" : "**no**" : "n/a";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {scenario} | {rounds} | {F(throughput)} | {F(cpu)} | {met} |");
        }
    }

    /// <summary>This round's ratios of the metrics run over the plain one, when both ran and answered.</summary>
    private static (double Throughput, double? Cpu)? Pair(IGrouping<int, Measurement> round)
    {
        var on = round.FirstOrDefault(m => m.Server == ServerDefinition.MetricsName);
        var off = round.FirstOrDefault(m => m.Server == "epoll");
        if (on is null || off is null || off.Load.RequestsPerSecond <= 0)
        {
            return null;
        }

        double? cpu = on.CpuSecondsPer100K is { } a && off.CpuSecondsPer100K is { } b && b > 0 ? a / b : null;
        return (on.Load.RequestsPerSecond / off.Load.RequestsPerSecond, cpu);
    }

    private static string F(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "n/a";
}
