using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// What protocol v2 costs against v1 on the same host build: each <c>-v2</c> server (the client speaks v2) over its v1
/// counterpart (<c>epoll-v2</c> ÷ <c>epoll</c>) in the same round and scenario, then the median over rounds, against
/// the issue's target of at most 5 % (req/s ≥ 0.95×, CPU per request ≤ 1.05×). Every round's req/s ratio is listed:
/// on a shared machine the spread is the honest part.
/// </summary>
internal static class V2CostReport
{
    public const double Target = 0.05;

    /// <summary>One v2 server in one scenario: per-round ratios over its v1 counterpart and their medians.</summary>
    internal sealed record Row(
        string Scenario,
        string Server,
        string V1Server,
        IReadOnlyList<double> ThroughputPerRound,
        double? Throughput,
        double? Cpu,
        double? P99,
        double? V1P99Us,
        double? V2P99Us,
        double? V1AllocatedBytesPerRequest,
        double? V2AllocatedBytesPerRequest)
    {
        public bool? Met => Throughput is { } t ? t >= 1 - Target && (Cpu is not { } c || c <= 1 + Target) : null;
    }

    public static IReadOnlyList<Row> Build(SessionResult session)
    {
        var rows = new List<Row>();
        foreach (var group in session.Measurements.Where(m => ServerDefinition.V1Counterpart(m.Server) is not null).GroupBy(m => (m.Scenario, m.Server)))
        {
            var v1Name = ServerDefinition.V1Counterpart(group.Key.Server)!;
            var v1 = session.Measurements.Where(m => m.Server == v1Name && m.Scenario == group.Key.Scenario).ToDictionary(m => m.Round);
            var pairs = group.Where(m => v1.ContainsKey(m.Round) && v1[m.Round].Load.RequestsPerSecond > 0).OrderBy(m => m.Round).Select(m => (V2: m, V1: v1[m.Round])).ToList();
            if (pairs.Count == 0)
            {
                continue;
            }

            static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;
            var throughput = pairs.Select(p => p.V2.Load.RequestsPerSecond / p.V1.Load.RequestsPerSecond).ToList();
            rows.Add(new Row(
                group.Key.Scenario,
                group.Key.Server,
                v1Name,
                throughput,
                Median.Of(throughput.Select(t => (double?)t)),
                Median.Of(pairs.Select(p => Ratio(p.V2.CpuSecondsPer100K, p.V1.CpuSecondsPer100K))),
                Median.Of(pairs.Select(p => Ratio(p.V2.Load.P99Us, p.V1.Load.P99Us))),
                Median.Of(pairs.Select(p => (double?)p.V1.Load.P99Us)),
                Median.Of(pairs.Select(p => (double?)p.V2.Load.P99Us)),
                Median.Of(pairs.Select(p => p.V1.AllocatedBytesPerRequest)),
                Median.Of(pairs.Select(p => p.V2.AllocatedBytesPerRequest))));
        }

        return rows;
    }

    public static void Append(StringBuilder text, SessionResult session)
    {
        var rows = Build(session);
        if (rows.Count == 0)
        {
            return;
        }

        text.AppendLine();
        text.AppendLine("## Protocol v2 ÷ v1 (same host build, same round; only the client's protocol differs)");
        text.AppendLine();
        text.AppendLine("| Scenario | Servers | req/s ratio per round | req/s median | CPU per request (median) | p99 (median) | p99 µs v1 / v2 | alloc B/req v1 / v2 | within 5 % |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---|");
        foreach (var row in rows)
        {
            var met = row.Met is { } m ? m ? "yes" : "**no**" : "n/a";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Scenario} | {row.Server} ÷ {row.V1Server} | {string.Join(", ", row.ThroughputPerRound.Select(t => F(t)))} | {F(row.Throughput)} | {F(row.Cpu)} | {F(row.P99)} | {F(row.V1P99Us, "F0")} / {F(row.V2P99Us, "F0")} | {F(row.V1AllocatedBytesPerRequest)} / {F(row.V2AllocatedBytesPerRequest)} | {met} |");
        }
    }

    public static JsonArray ToJson(SessionResult session) => new(Build(session).Select(row => (JsonNode?)new JsonObject
    {
        ["scenario"] = row.Scenario,
        ["server"] = row.Server,
        ["v1Server"] = row.V1Server,
        ["requestsPerSecondRatioPerRound"] = new JsonArray(row.ThroughputPerRound.Select(t => (JsonNode?)JsonValue.Create(Math.Round(t, 4))).ToArray()),
        ["requestsPerSecondRatio"] = Round(row.Throughput),
        ["cpuPerRequestRatio"] = Round(row.Cpu),
        ["p99Ratio"] = Round(row.P99),
        ["v1P99Us"] = Round(row.V1P99Us),
        ["v2P99Us"] = Round(row.V2P99Us),
        ["v1AllocatedBytesPerRequest"] = Round(row.V1AllocatedBytesPerRequest),
        ["v2AllocatedBytesPerRequest"] = Round(row.V2AllocatedBytesPerRequest),
        ["withinTarget"] = row.Met,
    }).ToArray());

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 4) : null;

    private static string F(double? value, string format = "F2") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
}
