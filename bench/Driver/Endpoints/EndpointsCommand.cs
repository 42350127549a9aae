using System.CommandLine;

namespace PluggableNet.Bench.Driver.Endpoints;

/// <summary>The <c>endpoints</c> subcommand: the host with two endpoints under load against one, ×C, into bench/results/endpoints.</summary>
internal static class EndpointsCommand
{
    public static Command Create(TextWriter log)
    {
        var rounds = new Option<int?>("--rounds") { Description = "Rounds (default 5; 1 with --smoke)." };
        var duration = new Option<double?>("--duration") { Description = "Measured seconds per run (default 4)." };
        var warmup = new Option<double?>("--warmup") { Description = "Warm-up seconds per run (default 2)." };
        var transports = new Option<string>("--transports") { Description = "Host transports.", DefaultValueFactory = _ => "Epoll,Sockets" };
        var scenarios = new Option<string>("--scenarios") { Description = "Scenarios (pingpong, pipelined).", DefaultValueFactory = _ => "pingpong,pipelined" };
        var output = new Option<string>("--out") { Description = "Output folder (default bench/results/endpoints)." };
        var hostDll = new Option<string>("--host-dll") { Description = "Path of PluggableNet.Host.dll (default src/Host/bin/Release/net10.0)." };
        var smoke = new Option<bool>("--smoke") { Description = "Tiny settings: a check that everything works, not a benchmark." };
        var command = new Command("endpoints", "The host with two endpoints serving at once against one endpoint under the same total load, both as ratios over the C server in the same round.")
        {
            rounds, duration, warmup, transports, scenarios, output, hostDll, smoke,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var isSmoke = parseResult.GetValue(smoke);
            var options = new EndpointsOptions
            {
                Rounds = parseResult.GetValue(rounds) ?? (isSmoke ? 1 : 5),
                Duration = TimeSpan.FromSeconds(parseResult.GetValue(duration) ?? (isSmoke ? 0.5 : 4)),
                Warmup = TimeSpan.FromSeconds(parseResult.GetValue(warmup) ?? (isSmoke ? 0.25 : 2)),
                Transports = Split(parseResult.GetValue(transports)!),
                Scenarios = [.. Split(parseResult.GetValue(scenarios)!).Select(s => s.ToLowerInvariant())],
                OutputDirectory = Path.GetFullPath(parseResult.GetValue(output) ?? Path.Combine(RepoPaths.DefaultOutput, "endpoints")),
                HostDll = Path.GetFullPath(parseResult.GetValue(hostDll) ?? RepoPaths.DefaultHostDll),
                Smoke = isSmoke,
                CommandLine = "PluggableNet.Bench.Driver endpoints " + string.Join(' ', parseResult.Tokens.Skip(1).Select(t => t.Value)),
            };
            if (options.Rounds < 1 || options.Scenarios.Any(s => s is not (Scenario.PingPong or Scenario.Pipelined)) || options.Transports.Any(t => t is not ("Epoll" or "Sockets")))
            {
                await Console.Error.WriteLineAsync("error: bad options (scenarios pingpong, pipelined; transports Epoll, Sockets; rounds ≥ 1).").ConfigureAwait(false);
                return 2;
            }

            return await EndpointsSuite.RunAsync(options, log, cancellationToken).ConfigureAwait(false);
        });

        return command;
    }

    private static IReadOnlyList<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
}
