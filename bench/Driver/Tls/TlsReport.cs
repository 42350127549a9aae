using System.Globalization;
using System.Text;

namespace PluggableNet.Bench.Driver.Tls;

/// <summary>The TLS benchmark's report: per scenario, each server's medians and its ratios to Kestrel (medians of per-round ratios).</summary>
internal static class TlsReport
{
    public sealed record Row(
        string Scenario,
        string Server,
        double? Rate,
        double? RateRatio,
        double? P50Us,
        double? P99Us,
        double? P99Ratio,
        double? CpuPer100K,
        double? CpuRatio,
        double? ClientCpuPer100K,
        double? ServerCores,
        double? ClientCores,
        double? AllocatedPerRequest,
        long Errors,
        string RateRatios);

    public static List<Row> Summary(IReadOnlyList<TlsScenario> scenarios, IReadOnlyList<TlsRun> runs, IReadOnlyList<string> servers)
    {
        var rows = new List<Row>();
        foreach (var scenario in scenarios)
        {
            foreach (var server in servers)
            {
                var mine = runs.Where(r => r.Scenario == scenario.Name && r.Server == server).ToList();
                double? Ratio(Func<TlsRun, double?> figure) => Median.Of(mine.Select(r =>
                    runs.FirstOrDefault(k => k.Scenario == scenario.Name && k.Server == ServerDefinition.KestrelName && k.Round == r.Round) is { } kestrel
                        && figure(kestrel) is { } baseline && baseline > 0 && figure(r) is { } value
                        ? value / baseline
                        : (double?)null));
                var perRound = mine.Select(r => runs.FirstOrDefault(k => k.Scenario == scenario.Name && k.Server == ServerDefinition.KestrelName && k.Round == r.Round) is { Rate: > 0 } k
                    ? (r.Rate / k.Rate).ToString("F2", CultureInfo.InvariantCulture)
                    : "n/a");
                rows.Add(new Row(
                    scenario.Name,
                    server,
                    Median.Of(mine.Select(r => (double?)r.Rate)),
                    Ratio(r => r.Rate),
                    Median.Of(mine.Select(r => (double?)r.Load.P50Us)),
                    Median.Of(mine.Select(r => (double?)r.Load.P99Us)),
                    Ratio(r => r.Load.P99Us),
                    Median.Of(mine.Select(r => r.CpuPer100K)),
                    Ratio(r => r.CpuPer100K),
                    Median.Of(mine.Select(r => r.Load.ClientCpuSeconds > 0 && r.Load.Requests > 0 ? r.Load.ClientCpuSeconds / r.Load.Requests * 100_000 : (double?)null)),
                    Median.Of(mine.Select(r => r.ServerCores)),
                    Median.Of(mine.Select(r => r.ClientCores)),
                    Median.Of(mine.Select(r => r.AllocatedPerRequest)),
                    mine.Sum(r => r.Load.Errors),
                    string.Join(", ", perRound)));
            }
        }

        return rows;
    }

    public static string Markdown(TlsBenchOptions options, IReadOnlyList<TlsScenario> scenarios, IReadOnlyList<TlsRun> runs, IReadOnlyList<string> failures, DateTimeOffset started, MachineInfo machine, string loadAverages)
    {
        var rows = Summary(scenarios, runs, options.Servers);
        var text = new StringBuilder();
        text.AppendLine("# TLS benchmark");
        text.AppendLine();
        text.AppendLine(Invariant($"- Date: {started:yyyy-MM-dd HH:mm:ss zzz} (took {(DateTimeOffset.Now - started).TotalSeconds:F0} s); command: `{options.CommandLine}`"));
        text.AppendLine(Invariant($"- Machine: {machine.Processors} logical CPUs, {machine.CpuModel}, {machine.OperatingSystem}; {machine.DotnetVersion}; load average (1 min) {loadAverages}: other jobs share the cores, so single rounds vary; read the medians of per-round ratios"));
        text.AppendLine(Invariant($"- Settings: {options.Rounds} round(s), {options.Duration.TotalSeconds:0.#} s measured after {options.Warmup.TotalSeconds:0.#} s warm-up per run, servers alternating ({string.Join(", ", options.Servers)}, then reversed), TLS {(options.TlsVersion == 0 ? "version negotiated (1.3)" : options.TlsVersion == 13 ? "1.3" : "1.2")}, one ECDSA P-256 certificate for both"));
        text.AppendLine("- Servers: **pnet** = the PluggableNet host, `Tls:Enabled=true`, `Server:Transport` at its default (Epoll; a TLS endpoint is served by the sockets transport over SslStream); **kestrel** = the Kestrel connection-handler baseline behind `UseHttps` (Kestrel's own SslStream middleware), the same Reverse logic.");
        text.AppendLine("- Load generator: bench/Baselines/C/tlsload.c (OpenSSL, one thread, epoll, every answer verified byte for byte; handshakes without session resumption, each followed by one request, then close_notify and close). It is the same for both servers and not what limits them: one thread that stays well under its one core (client cores), waiting on the servers' answers, at about two thirds of the server's CPU per request (client CPU s/100k).");
        text.AppendLine("- Figures are medians over the rounds; ratios are to Kestrel in the same round (median of per-round ratios). CPU = server utime+stime per 100k requests (handshakes); alloc = the server's GC.GetTotalAllocatedBytes over the window per request (handshake), read on its control socket.");
        text.AppendLine();
        foreach (var scenario in scenarios)
        {
            text.AppendLine(Invariant($"## {scenario.Name}: {scenario.Describe()}"));
            text.AppendLine();
            text.AppendLine($"| Server | {scenario.Unit} | ×Kestrel | per round | p50 µs | p99 µs | p99 ×Kestrel | CPU s/100k | CPU ×Kestrel | client CPU s/100k | server cores | client cores | alloc B/op | errors |");
            text.AppendLine("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var row in rows.Where(r => r.Scenario == scenario.Name))
            {
                text.AppendLine(Invariant($"| {row.Server} | {F(row.Rate, "N0")} | {F(row.RateRatio, "F2")}× | {row.RateRatios} | {F(row.P50Us, "F0")} | {F(row.P99Us, "F0")} | {F(row.P99Ratio, "F2")}× | {F(row.CpuPer100K, "F3")} | {F(row.CpuRatio, "F2")}× | {F(row.ClientCpuPer100K, "F3")} | {F(row.ServerCores, "F2")} | {F(row.ClientCores, "F2")} | {F(row.AllocatedPerRequest, "F1")} | {row.Errors} |"));
            }

            text.AppendLine();
        }

        if (failures.Count > 0)
        {
            text.AppendLine("## Failures");
            text.AppendLine();
            foreach (var failure in failures)
            {
                text.AppendLine("- " + failure);
            }
        }

        return text.ToString();
    }

    private static string F(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
