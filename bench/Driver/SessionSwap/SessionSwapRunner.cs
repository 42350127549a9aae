using System.Diagnostics;
using System.Globalization;

namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>
/// One run: a fresh Release host serving the bundled Chat plugin (swapped only by SIGHUP), the sessions opened, the
/// probes started, the swaps one after another with a gap between them, then the checks that every session kept its
/// state: WHO for a few rooms, JOIN again from a sample of sessions, status.
/// </summary>
internal static class SessionSwapRunner
{
    private static readonly TimeSpan s_statusTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The host on <paramref name="server"/>'s transport with Chat, no folder watching: only the signal swaps it.</summary>
    public static ServerDefinition Host(string server, string hostDll) => ServerDefinition.Host(
        server,
        server == "epoll" ? "Epoll" : "Sockets",
        hostDll,
        "--Logic:Plugin=Chat",
        "--Logic:HotReload=false");

    public static async Task<SessionSwapRun> RunAsync(string server, int round, SessionSwapOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var run = new SessionSwapRun { Round = round, Server = server, Probes = options.Probes };
        var problems = new List<string>();
        var probes = new List<Probe>();
        SessionCrowd? crowd = null;
        ServerProcess? host = null;
        try
        {
            host = await ServerProcess.StartAsync(Host(server, options.HostDll), new Scenario("session-swap", 1, 1, 32), string.Empty, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            var port = host.Port;
            var opening = Stopwatch.GetTimestamp();
            crowd = await Task.Run(() => SessionCrowd.Open(port, options.Sessions, options.Rooms, options.StepTimeout), cancellationToken).ConfigureAwait(false);
            run = run with { Sessions = crowd.Count, OpenSeconds = Stopwatch.GetElapsedTime(opening).TotalSeconds };
            var status = Query(host);
            if (status.ActiveSessions != options.Sessions)
            {
                throw new InvalidOperationException($"status shows {status.ActiveSessions} active sessions after {options.Sessions} were opened");
            }

            for (var p = 0; p < options.Probes; p++)
            {
                probes.Add(new Probe(port, p, options.StepTimeout));
            }

            var gcBefore = GC.GetTotalPauseDuration();
            var probing = Stopwatch.GetTimestamp();
            probes.ForEach(p => p.Start());
            var gap = TimeSpan.FromSeconds(options.GapSeconds);
            await Task.Delay(gap, cancellationToken).ConfigureAwait(false);
            var swaps = new List<(SwapMeasurement Swap, SwapWindow Window, SwapWindow? Aftermath)>();
            for (var index = 1; index <= options.Swaps; index++)
            {
                var (swap, window, aftermath, after) = await SwapStep.RunAsync(host, index, status, TimeSpan.FromSeconds(options.AftermathSeconds), options.StepTimeout, cancellationToken).ConfigureAwait(false);
                swaps.Add((swap, window, aftermath));
                Log(log, string.Create(CultureInfo.InvariantCulture, $"    swap {index}: pause {swap.PauseMs:F1} ms, swap {swap.SwapMs:F1} ms (load {swap.LoadMs:F1}, drain {swap.DrainMs:F1}){(swap.Failure is null ? string.Empty : "  FAILED: " + swap.Failure)}"));
                if (swap.Failure is not null || after is null)
                {
                    problems.Add($"swap {index}: {swap.Failure}");
                    break;
                }

                status = after;
                await Task.Delay(gap, cancellationToken).ConfigureAwait(false);
            }

            var stopped = probes.All(p => p.Stop(options.StepTimeout));
            var gcPause = GC.GetTotalPauseDuration() - gcBefore;
            var windows = swaps.SelectMany(s => s.Aftermath is { } a ? new[] { s.Window, a } : [s.Window]).ToList();
            var latencies = new ProbeLatencies(probes.SelectMany(p => p.Requests()), probing + (long)(options.WarmupSeconds * Stopwatch.Frequency), windows);
            var probeErrors = probes.Sum(p => p.WrongAnswers + (p.Failure is null ? 0 : 1)) + (stopped ? 0 : 1);
            if (probeErrors > 0)
            {
                problems.Add($"probes: {probeErrors} error(s){string.Concat(probes.Where(p => p.Failure is not null).Select(p => "; " + p.Failure))}");
            }

            run = run with
            {
                Swaps = [.. swaps.Select(s => s.Swap with
                {
                    WorstLatencyMs = latencies.During(s.Window).WorstMs,
                    RequestsDuring = latencies.During(s.Window).Requests,
                    WorstAfterMs = s.Aftermath is { } a ? latencies.During(a).WorstMs : null,
                })],
                OutsideRequests = latencies.OutsideRequests,
                ProbeMedianMs = latencies.OutsideMedianMs,
                ProbeP99Ms = latencies.OutsideP99Ms,
                ProbeMaxOutsideMs = latencies.OutsideMaxMs,
                ProbeErrors = probeErrors,
                DriverGcPauseMs = gcPause.TotalMilliseconds,
            };
            run = await Task.Run(() => Check(run, host, crowd, options, problems), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            problems.Add(host is { HasExited: true } ? $"{ex.Message} (host output: {host.RecentOutput()})" : ex.Message);
        }
        finally
        {
            probes.ForEach(p => p.Stop(TimeSpan.FromSeconds(5)));
            probes.ForEach(p => p.Dispose());
            crowd?.Dispose();
            host?.Dispose();
        }

        return run with { Failure = problems.Count == 0 ? null : string.Join("; ", problems) };
    }

    /// <summary>After the last swap: nicknames by room, memberships from the sessions' side, and status's counts.</summary>
    private static SessionSwapRun Check(SessionSwapRun run, ServerProcess host, SessionCrowd crowd, SessionSwapOptions options, List<string> problems)
    {
        var rooms = SampleRooms(options.Rooms);
        var intact = 0;
        var buffer = new byte[100_000];
        using (var checker = ChatWire.Connect(host.Port, options.StepTimeout))
        {
            foreach (var room in rooms)
            {
                var expected = string.Join(' ', Enumerable.Range(0, crowd.Count).Where(i => i % options.Rooms == room).Select(SessionCrowd.Nick).Order(StringComparer.Ordinal));
                var answer = ChatWire.Ask(checker, "WHO " + SessionCrowd.Room(room, options.Rooms), buffer);
                if (answer == expected)
                {
                    intact++;
                }
                else
                {
                    problems.Add($"WHO {SessionCrowd.Room(room, options.Rooms)} answered \"{Shorten(answer)}\", expected \"{Shorten(expected)}\"");
                }
            }

            // Asked while the checker is still open: every session, probe and the checker itself.
            var status = Query(host);
            var expectedSessions = crowd.Count + options.Probes + 1;
            if (status.ActiveSessions != expectedSessions || status.MigrationsRolledBack != 0 || status.Migrations != run.Swaps.Count(s => s.Migrated))
            {
                problems.Add($"status after the swaps: {status.ActiveSessions} active sessions (expected {expectedSessions}), {status.Migrations} migrations, {status.MigrationsRolledBack} rolled back");
            }

            run = run with { ActiveSessionsAfter = status.ActiveSessions, MigrationsAfter = status.Migrations, RolledBackAfter = status.MigrationsRolledBack };
        }

        var (asked, membership) = crowd.CheckMembership(50);
        problems.AddRange(membership.Take(5));
        return run with
        {
            RoomsChecked = rooms.Count,
            RoomsIntact = intact,
            MembershipsChecked = asked,
            MembershipsIntact = asked - membership.Count,
        };
    }

    /// <summary>Up to five rooms spread over all of them, the first and the last included.</summary>
    private static List<int> SampleRooms(int rooms) =>
        [.. Enumerable.Range(0, Math.Min(5, rooms)).Select(k => rooms <= 5 ? k : (int)Math.Round(k * (rooms - 1) / 4.0)).Distinct()];

    private static SwapStatus Query(ServerProcess host) =>
        SwapStatus.TryQuery(host.ControlSocket, s_statusTimeout) ?? throw new InvalidOperationException("the host's control socket did not answer status");

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..120] + "…";

    private static void Log(TextWriter log, string line)
    {
        log.WriteLine(line);
        log.Flush();
    }
}
