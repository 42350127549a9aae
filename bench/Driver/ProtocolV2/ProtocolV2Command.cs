using System.CommandLine;

namespace PluggableNet.Bench.Driver.ProtocolV2;

/// <summary>The <c>protocol-v2</c> subcommand: v2 ÷ v1 throughput, head-of-line and drain, into bench/results/protocol-v2.</summary>
internal static class ProtocolV2Command
{
    public static Command Create(TextWriter log)
    {
        var rounds = new Option<int?>("--rounds") { Description = "Throughput rounds (default 5; 1 with --smoke)." };
        var duration = new Option<double?>("--duration") { Description = "Measured seconds per throughput run (default 4)." };
        var warmup = new Option<double?>("--warmup") { Description = "Warm-up seconds per throughput run (default 3)." };
        var servers = new Option<string>("--servers") { Description = "Throughput servers, each -v2 beside its v1 counterpart.", DefaultValueFactory = _ => "epoll,epoll-v2,sockets,sockets-v2" };
        var scenarios = new Option<string>("--scenarios") { Description = "Throughput scenarios.", DefaultValueFactory = _ => "pingpong,pipelined" };
        var client = new Option<string>("--client") { Description = "Load generator: c (default) or dotnet.", DefaultValueFactory = _ => "c" };
        var parts = new Option<string>("--parts") { Description = "Comma list of throughput, headofline, drain.", DefaultValueFactory = _ => "throughput,headofline,drain" };
        var holRounds = new Option<int?>("--hol-rounds") { Description = "Head-of-line rounds (default 3)." };
        var holSeconds = new Option<double?>("--hol-seconds") { Description = "Recorded seconds per head-of-line run (default 5)." };
        var drainRounds = new Option<int?>("--drain-rounds") { Description = "Drain rounds, each inline and offloaded (default 3)." };
        var output = new Option<string>("--out") { Description = "Output folder (default bench/results/protocol-v2)." };
        var hostDll = new Option<string>("--host-dll") { Description = "Path of PluggableNet.Host.dll (default src/Host/bin/Release/net10.0)." };
        var smoke = new Option<bool>("--smoke") { Description = "Tiny settings: a check that everything works, not a benchmark." };
        var command = new Command("protocol-v2", "Protocol v2 against v1 on the same host: throughput ratios, head-of-line latency, drain without double processing.")
        {
            rounds, duration, warmup, servers, scenarios, client, parts, holRounds, holSeconds, drainRounds, output, hostDll, smoke,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var isSmoke = parseResult.GetValue(smoke);
            var throughput = new DriverOptions
            {
                Rounds = parseResult.GetValue(rounds) ?? (isSmoke ? 1 : 5),
                Duration = TimeSpan.FromSeconds(parseResult.GetValue(duration) ?? (isSmoke ? 0.5 : 4)),
                Warmup = TimeSpan.FromSeconds(parseResult.GetValue(warmup) ?? (isSmoke ? 0.25 : 3)),
                Scenarios = Split(parseResult.GetValue(scenarios)!),
                Servers = Split(parseResult.GetValue(servers)!),
                Client = parseResult.GetValue(client)!.Trim().ToLowerInvariant(),
                OutputDirectory = Path.GetFullPath(parseResult.GetValue(output) ?? Path.Combine(RepoPaths.DefaultOutput, "protocol-v2")),
                HostDll = Path.GetFullPath(parseResult.GetValue(hostDll) ?? RepoPaths.DefaultHostDll),
                KestrelDll = RepoPaths.DefaultKestrelDll,
                Smoke = isSmoke,
                CommandLine = "PluggableNet.Bench.Driver protocol-v2 " + string.Join(' ', parseResult.Tokens.Skip(1).Select(t => t.Value)),
            };
            var unknown = throughput.Servers.FirstOrDefault(s => !ServerDefinition.IsKnown(s));
            if (unknown is not null || throughput.Client is not ("c" or "dotnet") || throughput.Rounds < 1)
            {
                await Console.Error.WriteLineAsync($"error: bad options{(unknown is null ? string.Empty : $": unknown server '{unknown}'")}.").ConfigureAwait(false);
                return 2;
            }

            var options = new ProtocolV2Options
            {
                Throughput = throughput,
                Parts = Split(parseResult.GetValue(parts)!),
                HeadOfLineRounds = parseResult.GetValue(holRounds) ?? (isSmoke ? 1 : 3),
                HeadOfLineDuration = TimeSpan.FromSeconds(parseResult.GetValue(holSeconds) ?? (isSmoke ? 1 : 5)),
                HeadOfLineWarmup = TimeSpan.FromSeconds(isSmoke ? 0.2 : 1),
                DrainRounds = parseResult.GetValue(drainRounds) ?? (isSmoke ? 1 : 3),
                DrainConnections = isSmoke ? 2 : 8,
                DrainBefore = TimeSpan.FromSeconds(isSmoke ? 0.5 : 2),
                DrainAfter = TimeSpan.FromSeconds(isSmoke ? 0.5 : 2),
            };
            return await ProtocolV2Suite.RunAsync(options, log, cancellationToken).ConfigureAwait(false);
        });

        return command;
    }

    private static IReadOnlyList<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => v.ToLowerInvariant()).Distinct().ToList();
}
