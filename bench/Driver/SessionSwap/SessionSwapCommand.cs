using System.CommandLine;

namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>The <c>session-swap</c> subcommand: hot swaps with many sessions holding state, into bench/results/session-swap.</summary>
internal static class SessionSwapCommand
{
    public static Command Create(TextWriter log)
    {
        var sessions = new Option<int?>("--sessions") { Description = "Sessions holding state (default 10000; 200 with --smoke)." };
        var rooms = new Option<int>("--rooms") { Description = "Rooms the sessions are spread over.", DefaultValueFactory = _ => 100 };
        var swaps = new Option<int?>("--swaps") { Description = "Swaps per round (default 5; 2 with --smoke)." };
        var probes = new Option<int>("--probes") { Description = "Sessions sending timed requests back to back.", DefaultValueFactory = _ => 8 };
        var gap = new Option<double?>("--gap") { Description = "Seconds before the first swap and between swaps (default 1; 0.5 with --smoke)." };
        var aftermath = new Option<double?>("--aftermath") { Description = "Seconds after each swap counted as its aftermath, the old generation's collection (default 1; 0.5 with --smoke)." };
        var rounds = new Option<int?>("--rounds") { Description = "Rounds, each running every transport once (default 3; 1 with --smoke)." };
        var servers = new Option<string>("--servers") { Description = "Comma list of " + SessionSwapOptions.KnownServers + ".", DefaultValueFactory = _ => "epoll,sockets" };
        var timeout = new Option<double>("--step-timeout") { Description = "Seconds opening the sessions, and each swap, may take.", DefaultValueFactory = _ => 60 };
        var output = new Option<string>("--out") { Description = "Output folder (default bench/results/session-swap)." };
        var hostDll = new Option<string>("--host-dll") { Description = "Path of PluggableNet.Host.dll (default src/Host/bin/Release/net10.0)." };
        var smoke = new Option<bool>("--smoke") { Description = "Tiny settings: a check that everything works, not a benchmark." };
        var renderOnly = new Option<bool>("--render-only") { Description = "Run nothing: write README.md again from the output folder's results.json." };
        var command = new Command("session-swap", "Hot swaps with many sessions holding state: how long the state move pauses sessions, and the longest wait a session sees.")
        {
            sessions, rooms, swaps, probes, gap, aftermath, rounds, servers, timeout, output, hostDll, smoke, renderOnly,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var isSmoke = parseResult.GetValue(smoke);
            var options = new SessionSwapOptions
            {
                Sessions = parseResult.GetValue(sessions) ?? (isSmoke ? 200 : 10_000),
                Rooms = parseResult.GetValue(rooms),
                Swaps = parseResult.GetValue(swaps) ?? (isSmoke ? 2 : 5),
                Probes = parseResult.GetValue(probes),
                GapSeconds = parseResult.GetValue(gap) ?? (isSmoke ? 0.5 : 1),
                AftermathSeconds = parseResult.GetValue(aftermath) ?? (isSmoke ? 0.5 : 1),
                Rounds = parseResult.GetValue(rounds) ?? (isSmoke ? 1 : 3),
                Servers = parseResult.GetValue(servers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => v.ToLowerInvariant()).Distinct().ToList(),
                StepTimeout = TimeSpan.FromSeconds(parseResult.GetValue(timeout)),
                OutputDirectory = Path.GetFullPath(parseResult.GetValue(output) ?? Path.Combine(RepoPaths.DefaultOutput, "session-swap")),
                HostDll = Path.GetFullPath(parseResult.GetValue(hostDll) ?? RepoPaths.DefaultHostDll),
                Smoke = isSmoke,
                CommandLine = ("PluggableNet.Bench.Driver session-swap " + string.Join(' ', parseResult.Tokens.Skip(1).Select(t => t.Value))).TrimEnd(),
            };
            if (parseResult.GetValue(renderOnly))
            {
                return await SessionSwapSuite.RenderAsync(options.OutputDirectory, log, cancellationToken).ConfigureAwait(false);
            }

            if (Invalid(options) is { } error)
            {
                await Console.Error.WriteLineAsync($"error: {error}").ConfigureAwait(false);
                return 2;
            }

            return await SessionSwapSuite.RunAsync(options, log, cancellationToken).ConfigureAwait(false);
        });

        return command;
    }

    private static string? Invalid(SessionSwapOptions o) =>
        o.Servers.Count == 0 || o.Servers.Any(s => s is not ("epoll" or "sockets")) ? $"--servers takes {SessionSwapOptions.KnownServers}."
        : o.Sessions < 1 || o.Rooms < 1 || o.Swaps < 1 || o.Probes < 1 || o.Rounds < 1 ? "--sessions, --rooms, --swaps, --probes and --rounds must be at least 1."
        : o.GapSeconds <= 0 || o.AftermathSeconds <= 0 || o.StepTimeout <= TimeSpan.Zero ? "--gap, --aftermath and --step-timeout must be positive."
        : null;
}
