using System.CommandLine;

namespace PluggableNet.Bench.Driver.Tls;

/// <summary>The <c>tls</c> subcommand: PluggableNet's TLS endpoint against Kestrel's, into bench/results/tls.</summary>
internal static class TlsCommand
{
    public static Command Create(TextWriter log)
    {
        var rounds = new Option<int?>("--rounds") { Description = "Rounds, servers alternating (default 5; 1 with --smoke)." };
        var duration = new Option<double?>("--duration") { Description = "Measured seconds per run (default 3; 0.5 with --smoke)." };
        var warmup = new Option<double?>("--warmup") { Description = "Warm-up seconds per run (default 1.5; 0.25 with --smoke)." };
        var scenarios = new Option<string>("--scenarios") { Description = "Comma list of pingpong, pipelined, handshakes.", DefaultValueFactory = _ => "pingpong,pipelined,handshakes" };
        var servers = new Option<string>("--servers") { Description = "Comma list of pnet, kestrel.", DefaultValueFactory = _ => "pnet,kestrel" };
        var version = new Option<int>("--tls-version") { Description = "12 or 13 to force a TLS version; 0 (default) negotiates (1.3).", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Output folder (default bench/results/tls)." };
        var hostDll = new Option<string>("--host-dll") { Description = "Path of PluggableNet.Host.dll (default src/Host/bin/Release/net10.0)." };
        var kestrelDll = new Option<string>("--kestrel-dll") { Description = "Path of PluggableNet.Baselines.Kestrel.dll (default its bin/Release/net10.0)." };
        var smoke = new Option<bool>("--smoke") { Description = "Tiny settings: a check that everything works, not a benchmark." };
        var command = new Command("tls", "TLS ping-pong, pipelined-16 and handshakes per second: the PluggableNet host against Kestrel, same certificate, same C/OpenSSL load generator.")
        {
            rounds, duration, warmup, scenarios, servers, version, output, hostDll, kestrelDll, smoke,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var isSmoke = parseResult.GetValue(smoke);
            var options = new TlsBenchOptions
            {
                Rounds = parseResult.GetValue(rounds) ?? (isSmoke ? 1 : 5),
                Duration = TimeSpan.FromSeconds(parseResult.GetValue(duration) ?? (isSmoke ? 0.5 : 3)),
                Warmup = TimeSpan.FromSeconds(parseResult.GetValue(warmup) ?? (isSmoke ? 0.25 : 1.5)),
                Scenarios = Split(parseResult.GetValue(scenarios)!),
                Servers = Split(parseResult.GetValue(servers)!),
                TlsVersion = parseResult.GetValue(version),
                OutputDirectory = Path.GetFullPath(parseResult.GetValue(output) ?? Path.Combine(RepoPaths.DefaultOutput, "tls")),
                HostDll = Path.GetFullPath(parseResult.GetValue(hostDll) ?? RepoPaths.DefaultHostDll),
                KestrelDll = Path.GetFullPath(parseResult.GetValue(kestrelDll) ?? RepoPaths.DefaultKestrelDll),
                Smoke = isSmoke,
                CommandLine = "PluggableNet.Bench.Driver tls " + string.Join(' ', parseResult.Tokens.Skip(1).Select(t => t.Value)),
            };
            if (options.Rounds < 1 || options.TlsVersion is not (0 or 12 or 13) || options.Servers.Any(s => s is not ("pnet" or ServerDefinition.KestrelName)))
            {
                await Console.Error.WriteLineAsync("error: bad options (servers pnet, kestrel; --tls-version 0, 12 or 13; --rounds at least 1).").ConfigureAwait(false);
                return 2;
            }

            foreach (var scenario in options.Scenarios)
            {
                try
                {
                    _ = TlsScenario.Get(scenario, isSmoke);
                }
                catch (ArgumentException exception)
                {
                    await Console.Error.WriteLineAsync($"error: {exception.Message}").ConfigureAwait(false);
                    return 2;
                }
            }

            return await TlsSuite.RunAsync(options, log, cancellationToken).ConfigureAwait(false);
        });

        return command;
    }

    private static IReadOnlyList<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => v.ToLowerInvariant()).Distinct().ToList();
}
