using System.Globalization;
using System.Text;

namespace PluggableNet.Bench.Driver.Fanout;

/// <summary>Where and when a fan-out session ran, for the report's header.</summary>
internal sealed record FanoutReportContext(FanoutOptions Options, MachineInfo Machine, DateTimeOffset Started, DateTimeOffset Finished, string? LoadBefore, string? LoadAfter);

/// <summary>The fan-out benchmark's README.md: the medians and ratios ×C per phase, what they mean, every round.</summary>
internal static class FanoutReport
{
    private static readonly string[] _phaseOrder = ["paced", "burst"];

    public static IReadOnlyList<FanoutSummaryRow> Summarize(IReadOnlyList<FanoutRun> runs)
    {
        var rows = new List<FanoutSummaryRow>();
        foreach (var phase in runs.Select(r => r.Phase).Distinct().OrderBy(p => Array.IndexOf(_phaseOrder, p)))
        {
            var baseline = runs.Where(r => r.Phase == phase && r.Server == FanoutServers.CName && r.Succeeded).ToDictionary(r => r.Round);
            foreach (var server in runs.Where(r => r.Phase == phase).Select(r => r.Server).Distinct())
            {
                var good = runs.Where(r => r.Phase == phase && r.Server == server && r.Succeeded).ToList();
                double? Ratio(FanoutRun r, Func<FanoutRun, double?> figure) =>
                    server != FanoutServers.CName && baseline.TryGetValue(r.Round, out var c) && figure(c) is > 0 && figure(r) is { } v ? v / figure(c) : null;
                rows.Add(new FanoutSummaryRow
                {
                    Phase = phase,
                    Server = server,
                    Rounds = good.Count,
                    RoundsRun = runs.Count(r => r.Phase == phase && r.Server == server),
                    DeliveriesPerSecond = Median.Of(good.Select(r => r.DeliveriesPerSecond)),
                    DeliveriesRatioToC = Median.Of(good.Select(r => Ratio(r, x => x.DeliveriesPerSecond))),
                    LastMessageMs = Median.Of(good.Select(r => r.LastMessageMs)),
                    LastMessageRatioToC = Median.Of(good.Select(r => Ratio(r, x => x.LastMessageMs))),
                    FanoutP50Ms = Median.Of(good.Select(r => r.FanoutP50Ms)),
                    ServerCpuUsPerDelivery = Median.Of(good.Select(r => r.ServerCpuUsPerDelivery)),
                    ServerCpuRatioToC = Median.Of(good.Select(r => Ratio(r, x => x.ServerCpuUsPerDelivery))),
                    ServerCores = Median.Of(good.Select(r => r.ServerCores)),
                    ClientCores = Median.Of(good.Select(r => r.ClientCores)),
                    AllocatedBytesPerDelivery = Median.Of(good.Select(r => r.AllocatedBytesPerDelivery)),
                    MaxAllocatedBytesPerDelivery = good.Select(r => r.AllocatedBytesPerDelivery).Max(),
                    AllocatedBytesPerMessage = Median.Of(good.Select(r => r.AllocatedBytesPerMessage)),
                    AllocatedBytes = Median.Of(good.Select(r => (double?)r.AllocatedBytes)),
                    IdleAllocatedBytes = Median.Of(good.Select(r => (double?)r.IdleAllocatedBytes)),
                });
            }
        }

        return rows;
    }

    public static string Render(FanoutReportContext context, IReadOnlyList<FanoutRun> runs)
    {
        var o = context.Options;
        var text = new StringBuilder();
        text.AppendLine("# Fan-out: one message broadcast to many connections (issue 21)");
        text.AppendLine();
        text.AppendLine(I($"- Date: {context.Started:yyyy-MM-dd HH:mm}–{context.Finished:HH:mm} {context.Started:zzz}; command: `{o.CommandLine}`"));
        text.AppendLine(I($"- Machine: {context.Machine.Processors} × {context.Machine.CpuModel}, {context.Machine.DotnetVersion}; load average {context.LoadBefore ?? "n/a"} before, {context.LoadAfter ?? "n/a"} after (the cores are shared: read the ratios, which are taken within a round)."));
        text.AppendLine(I($"- Load: {o.Connections:N0} receiving connections and one sender, all registered (\"?\" answered \"ok\") first; per phase {o.Messages} broadcasts of {o.PayloadBytes} B payload (+ 5 B header), after a warm-up of {o.WarmupMessages} paced and {o.Messages} burst ones and a {o.IdleSeconds:0.#} s idle window, none measured; every receiver's stream checked byte for byte (count, order, content). Load generator: bench/Baselines/C/fanout.c, epoll, {o.ClientThreads} reader thread(s)."));
        text.AppendLine("- Servers: **c** = bench/Baselines/C/broadcast.c (one thread, epoll, a per-connection output buffer, one send per connection per wake-up); **epoll**, **sockets** = the host (Release) on that transport with bench/Plugins/Broadcast (`Pushes`, `V1StreamMode`; `!` → `Broadcast(\"all\", rest)`), default settings but `Limits:MaxConnections=100000`.");
        text.AppendLine("- Phases: **paced** sends the next message only when the previous one reached every receiver: each message's fan-out is timed alone (\"fan-out p50\"), nothing queued behind it; **burst** writes every message in one send: the server may batch, as under a busy room.");
        text.AppendLine(I($"- deliveries/s = receivers × messages ÷ (first send → last delivery); last message = its send → its last delivery. ×C = median over rounds of the ratio to the C server of the same round (target deliveries/s ≥ {FanoutSummaryRow.TargetRatio:0.0}×); ÷C for times and CPU per delivery (lower is better). On shared cores a rate follows the CPU a server happened to get; its CPU per delivery (all its threads, from schedstat) does not."));
        text.AppendLine("- Allocation: the host's allocated-bytes count (control channel `status`, `GC.GetTotalAllocatedBytes`) at the phase's edges, the load generator paused while it is read (target 0 B per delivered message; details below).");
        var rows = Summarize(runs);
        foreach (var phase in rows.Select(r => r.Phase).Distinct())
        {
            text.AppendLine();
            text.AppendLine(I($"## {phase} (medians of {o.Rounds} round(s))"));
            text.AppendLine();
            text.AppendLine("| Server | rounds ok | deliveries/s | ×C | fan-out p50 (ms) | last message (ms) | ÷C | server CPU µs/delivery | ÷C | server cores | client cores | B/delivery | ≥ 0.9×C |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (var r in rows.Where(r => r.Phase == phase))
            {
                var verdict = r.Rounds < r.RoundsRun ? "**no** (failed rounds)" : r.MeetsTarget switch { true => "yes", false => "**no**", null => r.IsBaseline ? "(baseline)" : "n/a" };
                text.AppendLine(I($"| {r.Server} | {r.Rounds}/{r.RoundsRun} | {F(r.DeliveriesPerSecond, "N0")} | {X(r.DeliveriesRatioToC, r.IsBaseline)} | {F(r.FanoutP50Ms, "F1")} | {F(r.LastMessageMs, "F1")} | {X(r.LastMessageRatioToC, r.IsBaseline)} | {F(r.ServerCpuUsPerDelivery, "F2")} | {X(r.ServerCpuRatioToC, r.IsBaseline)} | {F(r.ServerCores, "F2")} | {F(r.ClientCores, "F2")} | {F(r.AllocatedBytesPerDelivery, "F3")} | {verdict} |"));
            }
        }

        AppendAllocation(text, rows, context);
        AppendBottleneck(text, rows, context.Machine.Processors);
        AppendRounds(text, runs);
        text.AppendLine();
        text.AppendLine("## Rerun");
        text.AppendLine();
        text.AppendLine("```sh");
        text.AppendLine("dotnet build -c Release src/Host && dotnet build -c Release bench/Driver   # the driver also builds bench/Plugins/Broadcast; cc builds the C pair");
        text.AppendLine("dotnet bench/Driver/bin/Release/net10.0/PluggableNet.Bench.Driver.dll fanout --connections 10000 --messages 100 --rounds 3");
        text.AppendLine("# the C pair alone: bench/Baselines/C/bin/pluggablenet-c-broadcast 0 & then pluggablenet-c-fanout -p PORT -c 10000 -m 100");
        text.AppendLine("```");
        return text.ToString();
    }

    private static void AppendAllocation(StringBuilder text, IReadOnlyList<FanoutSummaryRow> rows, FanoutReportContext context)
    {
        text.AppendLine();
        text.AppendLine("## Allocation per delivered message (the host)");
        text.AppendLine();
        text.AppendLine(I($"Measured after the warm-up (a paced run and a burst as large as the measured one), so pools and queues have grown. The noise floor is what the host allocates in the idle window ({context.Options.IdleSeconds:0.#} s, every connection open, nothing sent, sampled the same way: timers and one status query): a phase that allocates about that much allocates nothing per message. One object per delivery would be ≥ 24 B/delivery; one per broadcast shows in B/message (÷ {context.Options.Connections:N0} per delivery)."));
        text.AppendLine();
        text.AppendLine("| Phase | Server | B/delivery (max of rounds) | B/message | allocated in the phase (B) | allocated in the idle window (B) |");
        text.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var r in rows.Where(r => !r.IsBaseline))
        {
            text.AppendLine(I($"| {r.Phase} | {r.Server} | {F(r.AllocatedBytesPerDelivery, "F3")} ({F(r.MaxAllocatedBytesPerDelivery, "F3")}) | {F(r.AllocatedBytesPerMessage, "N0")} | {F(r.AllocatedBytes, "N0")} | {F(r.IdleAllocatedBytes, "N0")} |"));
        }
    }

    private static void AppendBottleneck(StringBuilder text, IReadOnlyList<FanoutSummaryRow> rows, int processors)
    {
        text.AppendLine();
        text.AppendLine("## Which side is the bottleneck");
        text.AppendLine();
        text.AppendLine(I($"Cores kept busy over each phase (CPU seconds ÷ phase seconds) on this {processors}-core machine. A single-threaded program near 1.0 is saturated (the C server; the load generator with one reader thread); when server and load generator together stay well below {processors}, neither was: the machine's other load set the pace, and the CPU per delivery is the figure to compare."));
        text.AppendLine();
        foreach (var r in rows)
        {
            text.AppendLine(I($"- {r.Phase}, {r.Server}: server {F(r.ServerCores, "F2")}, load generator {F(r.ClientCores, "F2")}."));
        }
    }

    private static void AppendRounds(StringBuilder text, IReadOnlyList<FanoutRun> runs)
    {
        text.AppendLine();
        text.AppendLine("## Every round");
        text.AppendLine();
        text.AppendLine("| Round | Server | Phase | deliveries/s | seconds | last message (ms) | fan-out p50 / max (ms) | server CPU (s) | client CPU (s) | allocated (B) | register (s) | result |");
        text.AppendLine("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in runs)
        {
            var result = r.Succeeded ? "ok" : "**failed**: " + (r.Failure ?? "wrong streams or closes").ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);
            text.AppendLine(I($"| {r.Round} | {r.Server} | {r.Phase} | {F(r.DeliveriesPerSecond, "N0")} | {F(r.Load?.Seconds, "F3")} | {F(r.LastMessageMs, "F1")} | {F(r.FanoutP50Ms, "F1")} / {F(r.Load?.FanoutMaxUs / 1000, "F1")} | {F(r.ServerCpuSeconds, "F2")} | {F(r.Load?.ClientCpuSeconds, "F2")} | {F((double?)r.AllocatedBytes, "N0")} | {F(r.RegisterSeconds, "F2")} | {result} |"));
        }
    }

    private static string X(double? ratio, bool baseline) => baseline ? "1" : ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) + "×" : "n/a";

    private static string F(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
