using System.Globalization;
using System.Text;

namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>Where and when a session-swap run happened, for the report's header.</summary>
internal sealed record SessionSwapReportContext(SessionSwapOptions Options, MachineInfo Machine, DateTimeOffset Started, DateTimeOffset Finished, string? LoadBefore, string? LoadAfter);

/// <summary>The session-swap benchmark's README.md: medians per transport, what they mean, every swap and every round.</summary>
internal static class SessionSwapReport
{
    public static string Render(SessionSwapReportContext context, IReadOnlyList<SessionSwapRun> runs)
    {
        var o = context.Options;
        var text = new StringBuilder();
        text.AppendLine("# Hot swap with sessions holding state (issue 21)");
        text.AppendLine();
        text.AppendLine(I($"- Date: {context.Started:yyyy-MM-dd HH:mm}–{context.Finished:HH:mm} {context.Started:zzz}; command: `{o.CommandLine}`"));
        text.AppendLine(I($"- Machine: {context.Machine.Processors} × {context.Machine.CpuModel}, {context.Machine.DotnetVersion}; load average {context.LoadBefore ?? "n/a"} before, {context.LoadAfter ?? "n/a"} after (shared cores: the host, the driver and other work compete)."));
        text.AppendLine(I($"- Host: Release, `--Logic:Plugin=Chat --Logic:HotReload=false`, `Limits:MaxConnections=100000`, otherwise defaults; a fresh host per round and transport; transports alternate (epoll first in odd rounds)."));
        text.AppendLine(I($"- Sessions: {o.Sessions:N0} v1 connections (5-digit headers), session i sends `NICK s<i>` and `JOIN r<i mod {o.Rooms}>` (both answers checked), then stays idle: every session has state (its nickname) and a group membership to move. Probes: {o.Probes} more sessions sending `NICK p<n>` back to back, each request timed (send → whole answer, `Stopwatch`) on its own thread."));
        text.AppendLine(I($"- Swaps: {o.Swaps} per round, by SIGHUP (the host reloads its plugin: a new generation of Chat 1.0.0; the old one exports the shared state and every session's state as JSON, the new one imports them, with sessions paused), each followed by its aftermath ({o.AftermathSeconds:0.#} s) and a gap ({o.GapSeconds:0.#} s; one before the first too). Each swap is checked in status: generation +1, `Migrations` +1, `MigrationsRolledBack` unchanged."));
        text.AppendLine("- **pause** = status `LastMigrationPauseMs`: the gate closed, from waiting for running calls to finish, through every session's export and import, to the new generation published. **swap** = the host's log line \"Swapped plugin … in X ms\": load (new generation read and instantiated, sessions still served by the old one) + drain (the pause, then the old generation's remaining calls waited out and disposed).");
        text.AppendLine(I($"- **worst probe during swap** = the slowest probe request that overlapped the swap's window (SIGHUP sent → the host's \"Swapped plugin\" line seen by the driver): the pause and the CPU the swap takes on shared cores included. **aftermath** = the {o.AftermathSeconds:0.#} s after that line (longer if the old generation was not collected yet): the host then induces blocking full GCs (20, 120, 320, 720 ms … after the swap) until the old generation's load context is collected, each pausing every session; status is asked only at its end, then must show no retired generation loaded. **worst probe in aftermath** = the slowest probe request overlapping it. **longest wait** = the larger of the two: the longest any session waited, SIGHUP to old code gone."));
        text.AppendLine(I($"- **probe median / p99 / max outside** = the probes' requests outside every swap and aftermath ({o.GapSeconds:0.#} s before the first swap, the first half left out as warm-up, and {o.GapSeconds:0.#} s after each aftermath): the scale, and how far the shared machine alone stretches a request."));
        text.AppendLine("- After the swaps: `WHO` for up to 5 rooms (first, last and between) must list exactly the expected nicknames; 50 sessions spread over the crowd send `JOIN` of their room again and must be told `already in` (membership kept); status must show every session still open and 0 rolled back.");
        var rows = SessionSwapSummaryRow.Summarize(runs);
        text.AppendLine();
        text.AppendLine(I($"## Medians over rounds ({o.Rounds} round(s); per round the median over its swaps), worst single swap in brackets"));
        text.AppendLine();
        text.AppendLine("| Transport | rounds ok | sessions | swaps migrated | rolled back | pause (ms) | swap (ms) | of which load (ms) | worst probe during swap (ms) | worst probe in aftermath (ms) | longest wait (ms) | probe median outside (ms) | probe p99 / max outside (ms) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            text.AppendLine(I($"| {r.Server} | {r.Rounds}/{r.RoundsRun} | {F(r.Sessions, "N0")} | {r.SwapsMigrated} | {r.RolledBack} | {F(r.PauseMs, "F1")} ({F(r.MaxPauseMs, "F1")}) | {F(r.SwapMs, "F1")} ({F(r.MaxSwapMs, "F1")}) | {F(r.LoadMs, "F1")} | {F(r.WorstLatencyMs, "F1")} ({F(r.MaxWorstLatencyMs, "F1")}) | {F(r.WorstAfterMs, "F1")} ({F(r.MaxWorstAfterMs, "F1")}) | {F(r.LongestWaitMs, "F1")} ({F(r.MaxLongestWaitMs, "F1")}) | {F(r.ProbeMedianMs, "F3")} | {F(r.ProbeP99Ms, "F2")} / {F(r.ProbeMaxOutsideMs, "F1")} |"));
        }

        AppendReading(text, runs);
        AppendSwaps(text, runs);
        AppendRounds(text, runs);
        text.AppendLine();
        text.AppendLine("## Rerun");
        text.AppendLine();
        text.AppendLine("```sh");
        text.AppendLine("dotnet build -c Release src/Host && dotnet build -c Release bench/Driver");
        text.AppendLine(I($"dotnet bench/Driver/bin/Release/net10.0/PluggableNet.Bench.Driver.dll session-swap --sessions {o.Sessions} --swaps {o.Swaps} --rounds {o.Rounds}"));
        text.AppendLine("# --render-only writes this file again from results.json");
        text.AppendLine("```");
        return text.ToString();
    }

    /// <summary>What the swaps show, from the figures themselves: where the longest wait fell, and the first swap apart.</summary>
    private static void AppendReading(StringBuilder text, IReadOnlyList<SessionSwapRun> runs)
    {
        var swaps = runs.Where(r => r.Succeeded).SelectMany(r => r.Swaps.Select(s => (r.Server, Swap: s))).ToList();
        if (swaps.Count == 0)
        {
            return;
        }

        text.AppendLine();
        text.AppendLine("## Reading the figures");
        text.AppendLine();
        var after = swaps.Count(s => s.Swap.WorstAfterMs > s.Swap.WorstLatencyMs);
        text.AppendLine(I($"- In {after} of {swaps.Count} swaps the longest wait fell in the aftermath (the host's induced blocking full GCs until the old generation is collected, each pausing every session), not during the state move."));
        foreach (var server in swaps.Select(s => s.Server).Distinct())
        {
            var first = swaps.Where(s => s.Server == server && s.Swap.Index == 1).ToList();
            var later = swaps.Where(s => s.Server == server && s.Swap.Index > 1).ToList();
            text.AppendLine(I($"- {server}: a host's first swap paused sessions {F(Median.Of(first.Select(s => s.Swap.PauseMs)), "F1")} ms (median of {first.Count}), its later swaps {F(Median.Of(later.Select(s => s.Swap.PauseMs)), "F1")} ms (median of {later.Count}): probably JIT, the first state move runs the host's migration code for the first time."));
        }
    }

    private static void AppendSwaps(StringBuilder text, IReadOnlyList<SessionSwapRun> runs)
    {
        text.AppendLine();
        text.AppendLine("## Every swap");
        text.AppendLine();
        text.AppendLine("| Round | Transport | swap | generation | pause (ms) | swap (ms) | load (ms) | drain (ms) | window (ms) | worst probe (ms) | probe requests in window | aftermath (ms) | worst probe in aftermath (ms) | old generation collected | migrated |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var run in runs)
        {
            foreach (var s in run.Swaps)
            {
                var migrated = s.Failure is null ? (s.Migrated ? "yes" : "**no**") : "**failed**: " + Cell(s.Failure);
                text.AppendLine(I($"| {run.Round} | {run.Server} | {s.Index} | {s.Generation} | {F(s.PauseMs, "F1")} | {F(s.SwapMs, "F1")} | {F(s.LoadMs, "F1")} | {F(s.DrainMs, "F1")} | {F(s.WindowMs, "F1")} | {F(s.WorstLatencyMs, "F1")} | {s.RequestsDuring:N0} | {F(s.AftermathMs, "F0")} | {F(s.WorstAfterMs, "F1")} | {(s.Collected ? "yes" : "**no**")} | {migrated} |"));
            }
        }
    }

    private static void AppendRounds(StringBuilder text, IReadOnlyList<SessionSwapRun> runs)
    {
        text.AppendLine();
        text.AppendLine("## Every round");
        text.AppendLine();
        text.AppendLine("Driver GC = the driver's own garbage-collection pauses while the probes ran (a probe's latency includes them as it includes the host's).");
        text.AppendLine();
        text.AppendLine("| Round | Transport | sessions | open (s) | probe requests outside | median / p99 / max outside (ms) | probe errors | rooms intact | memberships intact | active sessions after | migrations / rolled back | driver GC (ms) | result |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in runs)
        {
            var result = r.Succeeded ? "ok" : "**failed**: " + Cell(r.Failure!);
            text.AppendLine(I($"| {r.Round} | {r.Server} | {r.Sessions:N0} | {F(r.OpenSeconds, "F1")} | {r.OutsideRequests:N0} | {F(r.ProbeMedianMs, "F3")} / {F(r.ProbeP99Ms, "F2")} / {F(r.ProbeMaxOutsideMs, "F1")} | {r.ProbeErrors} | {r.RoomsIntact}/{r.RoomsChecked} | {r.MembershipsIntact}/{r.MembershipsChecked} | {F(r.ActiveSessionsAfter, "N0")} | {F(r.MigrationsAfter, "N0")} / {F(r.RolledBackAfter, "N0")} | {F(r.DriverGcPauseMs, "F1")} | {result} |"));
        }
    }

    private static string Cell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);

    private static string F(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string F(long? value, string format) => F((double?)value, format);

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
