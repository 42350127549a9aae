using System.Globalization;
using System.Text.Json;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Driver.Tls;

/// <summary>
/// The TLS benchmark (issue 22): PluggableNet's TLS endpoint against Kestrel's TLS (its HTTPS connection middleware
/// before the same Reverse connection handler as the plain baseline), the same certificate, the same C load generator
/// (tlsload.c). Per round every scenario runs on every server, in alternating order; ratios are taken within a round,
/// and the report gives their medians. Writes results.md and results.json.
/// </summary>
internal static class TlsSuite
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(TlsBenchOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.Now;
        var loadAtStart = LoadAverage();
        var client = TlsLoadClient.Build();
        using var certificate = TlsBenchCertificate.Create();
        var scenarios = options.Scenarios.Select(s => TlsScenario.Get(s, options.Smoke)).ToList();
        var runs = new List<TlsRun>();
        var failures = new List<string>();
        FileDescriptorLimit.RaiseToHardLimit();
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var scenario in scenarios)
            {
                foreach (var name in BenchmarkSession.InRoundOrder(options.Servers, round))
                {
                    var server = Server(name, options, certificate);
                    try
                    {
                        var run = await RunOneAsync(server, scenario, round, client, options, cancellationToken).ConfigureAwait(false);
                        runs.Add(run);
                        log.WriteLine(Invariant($"  round {round} {scenario.Name,-10} {name,-10} {run.Rate,10:N0} {scenario.Unit}  p50 {run.Load.P50Us,8:F0}  p99 {run.Load.P99Us,8:F0} us  server {run.ServerCores,4:F2} cores  client {run.ClientCores,4:F2} cores  alloc/req {run.AllocatedPerRequest,8:F1} B  errors {run.Load.Errors}"));
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        failures.Add($"round {round}, {scenario.Name}, {name}: {exception.Message}");
                        log.WriteLine($"FAILED round {round}, {scenario.Name}, {name}: {exception.Message}");
                    }
                }
            }
        }

        Directory.CreateDirectory(options.OutputDirectory);
        var markdown = TlsReport.Markdown(options, scenarios, runs, failures, started, MachineInfo.Current(), $"{loadAtStart} at the start, {LoadAverage()} at the end");
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "results.md"), markdown, cancellationToken).ConfigureAwait(false);
        var document = new
        {
            started = started.ToString("O", CultureInfo.InvariantCulture),
            commandLine = options.CommandLine,
            machine = MachineInfo.Current(),
            settings = new { options.Rounds, durationSeconds = options.Duration.TotalSeconds, warmupSeconds = options.Warmup.TotalSeconds, options.Servers, options.TlsVersion },
            summary = TlsReport.Summary(scenarios, runs, options.Servers),
            runs,
            failures,
        };
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "results.json"), JsonSerializer.Serialize(document, s_json), cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync(markdown).ConfigureAwait(false);
        await log.WriteLineAsync($"results written to {options.OutputDirectory}").ConfigureAwait(false);
        return failures.Count == 0 && runs.All(r => r.Load.Errors == 0) ? 0 : 1;
    }

    private static async Task<TlsRun> RunOneAsync(ServerDefinition server, TlsScenario scenario, int round, TlsLoadClient client, TlsBenchOptions options, CancellationToken cancellationToken)
    {
        using var process = await ServerProcess.StartAsync(server, new Scenario("tls-" + scenario.Name, scenario.Connections, scenario.Depth, scenario.PayloadBytes), string.Empty, s_startTimeout, cancellationToken).ConfigureAwait(false);
        var sampler = new ServerSampler(process);
        var load = await client.RunAsync(process.Port, scenario, options, sampler, cancellationToken).ConfigureAwait(false);
        if (process.HasExited)
        {
            throw new InvalidOperationException($"{server.Name} exited during {scenario.Name}:{Environment.NewLine}{process.RecentOutput()}");
        }

        return new TlsRun(scenario.Name, server.Name, round, load, sampler.CpuSeconds, sampler.AllocatedBytes);
    }

    /// <summary>The servers: the host with TLS, and Kestrel with TLS on the same certificate.</summary>
    private static ServerDefinition Server(string name, TlsBenchOptions options, TlsBenchCertificate certificate) => name switch
    {
        // Server:Transport left at its default (Epoll): a TLS endpoint is served by the sockets transport.
        "pnet" => ServerDefinition.Host(name, "Epoll", options.HostDll, "--Tls:Enabled=true", $"--Tls:CertificatePath={certificate.CertificatePath}", $"--Tls:KeyPath={certificate.KeyPath}"),
        ServerDefinition.KestrelName => ServerDefinition.Kestrel(options.KestrelDll) is var kestrel
            ? kestrel with { Arguments = launch => [.. kestrel.Arguments(launch), "--tls-cert", certificate.CertificatePath, "--tls-key", certificate.KeyPath] }
            : throw new InvalidOperationException(),
        _ => throw new ArgumentException($"Unknown TLS server '{name}': use pnet, kestrel."),
    };

    /// <summary>The 1-minute load average: how busy the shared machine was.</summary>
    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
