using System.CommandLine;

namespace PluggableNet.Bench.Driver.Fanout;

/// <summary>The <c>fanout</c> subcommand: one message broadcast to many connections, the host against the C baseline, into bench/results/fanout.</summary>
internal static class FanoutCommand
{
    public static Command Create(TextWriter log)
    {
        var connections = new Option<int?>("--connections") { Description = "Receiving connections (default 10000; 200 with --smoke)." };
        var messages = new Option<int?>("--messages") { Description = "Broadcasts per measured phase (default 200; 20 with --smoke)." };
        var payload = new Option<int>("--payload") { Description = "Payload bytes of each broadcast (at least 10: it starts with its sequence number).", DefaultValueFactory = _ => 32 };
        var warmup = new Option<int?>("--warmup") { Description = "Unmeasured broadcasts first (default 20; 5 with --smoke)." };
        var rounds = new Option<int?>("--rounds") { Description = "Rounds, each running every server once (default 3; 1 with --smoke)." };
        var servers = new Option<string>("--servers") { Description = "Comma list of " + FanoutOptions.KnownServers + ".", DefaultValueFactory = _ => "c,epoll,sockets" };
        var phases = new Option<string>("--phases") { Description = "Comma list of paced (one message at a time), burst (all in one send).", DefaultValueFactory = _ => "paced,burst" };
        var threads = new Option<int>("--client-threads") { Description = "Reader threads of the load generator.", DefaultValueFactory = _ => 1 };
        var timeout = new Option<double>("--phase-timeout") { Description = "Seconds registration and each phase may take.", DefaultValueFactory = _ => 60 };
        var output = new Option<string>("--out") { Description = "Output folder (default bench/results/fanout)." };
        var hostDll = new Option<string>("--host-dll") { Description = "Path of PluggableNet.Host.dll (default src/Host/bin/Release/net10.0)." };
        var baseHostDll = new Option<string>("--base-host-dll") { Description = "Path of another build's PluggableNet.Host.dll, served as 'base-epoll': before/after ratios in one run." };
        var smoke = new Option<bool>("--smoke") { Description = "Tiny settings: a check that everything works, not a benchmark." };
        var renderOnly = new Option<bool>("--render-only") { Description = "Run nothing: write README.md again from the output folder's results.json." };
        var command = new Command("fanout", "One message broadcast to many connections: deliveries/s and time to the last delivery against a C epoll broadcast server, and bytes allocated per delivery.")
        {
            connections, messages, payload, warmup, rounds, servers, phases, threads, timeout, output, hostDll, baseHostDll, smoke, renderOnly,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var isSmoke = parseResult.GetValue(smoke);
            var options = new FanoutOptions
            {
                Connections = parseResult.GetValue(connections) ?? (isSmoke ? 200 : 10_000),
                Messages = parseResult.GetValue(messages) ?? (isSmoke ? 20 : 200),
                PayloadBytes = parseResult.GetValue(payload),
                WarmupMessages = parseResult.GetValue(warmup) ?? (isSmoke ? 5 : 20),
                Rounds = parseResult.GetValue(rounds) ?? (isSmoke ? 1 : 3),
                Servers = Split(parseResult.GetValue(servers)!),
                Phases = Split(parseResult.GetValue(phases)!),
                ClientThreads = parseResult.GetValue(threads),
                IdleSeconds = isSmoke ? 0.2 : 1,
                PhaseTimeout = TimeSpan.FromSeconds(parseResult.GetValue(timeout)),
                OutputDirectory = Path.GetFullPath(parseResult.GetValue(output) ?? Path.Combine(RepoPaths.DefaultOutput, "fanout")),
                HostDll = Path.GetFullPath(parseResult.GetValue(hostDll) ?? RepoPaths.DefaultHostDll),
                BaseHostDll = parseResult.GetValue(baseHostDll) is { } baseDll ? Path.GetFullPath(baseDll) : null,
                Smoke = isSmoke,
                CommandLine = "PluggableNet.Bench.Driver fanout " + string.Join(' ', parseResult.Tokens.Skip(1).Select(t => t.Value)),
            };
            if (parseResult.GetValue(renderOnly))
            {
                return await FanoutSuite.RenderAsync(options.OutputDirectory, log, cancellationToken).ConfigureAwait(false);
            }

            if (Invalid(options) is { } error)
            {
                await Console.Error.WriteLineAsync($"error: {error}").ConfigureAwait(false);
                return 2;
            }

            return await FanoutSuite.RunAsync(options, log, cancellationToken).ConfigureAwait(false);
        });

        return command;
    }

    private static string? Invalid(FanoutOptions o) =>
        o.Servers.FirstOrDefault(s => !FanoutServers.IsKnown(s)) is { } unknown ? $"unknown server '{unknown}': use {FanoutOptions.KnownServers}."
        : o.Phases.Count == 0 || o.Phases.Any(p => p is not ("paced" or "burst")) ? "--phases takes paced and/or burst."
        : o.Connections < 1 || o.Messages < 1 || o.WarmupMessages < 0 || o.Rounds < 1 ? "--connections, --messages and --rounds must be at least 1, --warmup not negative."
        : o.PayloadBytes is < 10 or > 99_998 ? "--payload must be 10..99998 bytes."
        : o.ClientThreads < 1 || o.ClientThreads > o.Connections ? "--client-threads must be 1..connections."
        : o.PhaseTimeout <= TimeSpan.Zero ? "--phase-timeout must be positive."
        : null;

    private static IReadOnlyList<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => v.ToLowerInvariant()).Distinct().ToList();
}
