using System.CommandLine;

namespace PluggableNet.Bench.Driver;

/// <summary>The driver's command line. Exit codes: 0 all good, 1 LoadGen errors or server failures, 2 bad options.</summary>
internal static class DriverCommand
{
    public static RootCommand Create(TextWriter log)
    {
        var rounds = new Option<int?>("--rounds") { Description = "Rounds of A B C (default 3; 1 with --smoke)." };
        var duration = new Option<double?>("--duration") { Description = "Measured seconds per run (default 4; 1 with --smoke)." };
        var warmup = new Option<double?>("--warmup") { Description = "Warm-up seconds per run (default 3; 0.5 with --smoke)." };
        var scenarios = new Option<string>("--scenarios") { Description = "Comma list of " + string.Join(", ", Scenario.Names) + ".", DefaultValueFactory = _ => string.Join(',', Scenario.Names) };
        var servers = new Option<string>("--servers") { Description = "Comma list of " + ServerDefinition.KnownNames + ".", DefaultValueFactory = _ => "epoll,sockets,kestrel,c" };
        var client = new Option<string>("--client") { Description = "Load generator: c (bench/Baselines/C/loadgen.c, default) or dotnet (in-process PluggableNet.LoadGen).", DefaultValueFactory = _ => "c" };
        var output = new Option<string>("--out") { Description = "Output folder (default bench/results under the repo root)." };
        var hostDll = new Option<string>("--host-dll") { Description = "Path of PluggableNet.Host.dll (default src/Host/bin/Release/net10.0)." };
        var baseHostDll = new Option<string>("--base-host-dll") { Description = "Path of another build's PluggableNet.Host.dll, served as 'base-epoll': before/after ratios in one run." };
        var kestrelDll = new Option<string>("--kestrel-dll") { Description = "Path of PluggableNet.Baselines.Kestrel.dll (default its bin/Release/net10.0)." };
        var smoke = new Option<bool>("--smoke") { Description = "Tiny settings: 1 round, 1 s, few connections, 200 idle connections." };

        var root = new RootCommand("Runs the PluggableNet host (epoll, sockets) and the C and Kestrel baselines through the benchmark scenarios.")
        {
            rounds, duration, warmup, scenarios, servers, client, output, hostDll, baseHostDll, kestrelDll, smoke,
        };
        root.Subcommands.Add(ProtocolV2.ProtocolV2Command.Create(log));
        root.Subcommands.Add(Tls.TlsCommand.Create(log));
        root.Subcommands.Add(Fanout.FanoutCommand.Create(log));
        root.Subcommands.Add(SessionSwap.SessionSwapCommand.Create(log));
        root.Subcommands.Add(Endpoints.EndpointsCommand.Create(log));

        root.SetAction(async (parseResult, cancellationToken) =>
        {
            DriverOptions options;
            try
            {
                var isSmoke = parseResult.GetValue(smoke);
                options = new DriverOptions
                {
                    Rounds = parseResult.GetValue(rounds) ?? (isSmoke ? 1 : 3),
                    Duration = TimeSpan.FromSeconds(parseResult.GetValue(duration) ?? (isSmoke ? 1 : 4)),
                    Warmup = TimeSpan.FromSeconds(parseResult.GetValue(warmup) ?? (isSmoke ? 0.5 : 3)),
                    Scenarios = SplitList(parseResult.GetValue(scenarios)!),
                    Servers = SplitList(parseResult.GetValue(servers)!),
                    Client = parseResult.GetValue(client)!.Trim().ToLowerInvariant(),
                    OutputDirectory = Path.GetFullPath(parseResult.GetValue(output) ?? RepoPaths.DefaultOutput),
                    HostDll = Path.GetFullPath(parseResult.GetValue(hostDll) ?? RepoPaths.DefaultHostDll),
                    BaseHostDll = parseResult.GetValue(baseHostDll) is { } baseDll ? Path.GetFullPath(baseDll) : null,
                    KestrelDll = Path.GetFullPath(parseResult.GetValue(kestrelDll) ?? RepoPaths.DefaultKestrelDll),
                    Smoke = isSmoke,
                    CommandLine = "PluggableNet.Bench.Driver " + string.Join(' ', parseResult.Tokens.Select(t => Quote(t.Value))),
                };
                Validate(options);
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return 2;
            }

            return await DriverApp.RunAsync(options, log, cancellationToken).ConfigureAwait(false);
        });

        return root;
    }

    private static IReadOnlyList<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => v.ToLowerInvariant()).Distinct().ToList();

    private static void Validate(DriverOptions options)
    {
        if (options.Rounds < 1)
        {
            throw new ArgumentException("--rounds must be at least 1.");
        }

        if (options.Duration <= TimeSpan.Zero || options.Warmup < TimeSpan.Zero)
        {
            throw new ArgumentException("--duration must be positive and --warmup not negative.");
        }

        if (options.Client is not ("c" or "dotnet"))
        {
            throw new ArgumentException("--client must be c or dotnet.");
        }

        if (options.Scenarios.Count == 0 || options.Servers.Count == 0)
        {
            throw new ArgumentException("--scenarios and --servers may not be empty.");
        }

        foreach (var scenario in options.Scenarios)
        {
            _ = Scenario.Get(scenario, options.Smoke);
        }

        foreach (var server in options.Servers)
        {
            if (!ServerDefinition.IsKnown(server))
            {
                throw new ArgumentException($"Unknown server '{server}': use {ServerDefinition.KnownNames}.");
            }

            if (server == ServerDefinition.BaseName && options.BaseHostDll is null)
            {
                throw new ArgumentException($"{ServerDefinition.BaseName} needs --base-host-dll.");
            }
        }
    }

    private static string Quote(string value) => value.Contains(' ', StringComparison.Ordinal) ? $"\"{value}\"" : value;
}
