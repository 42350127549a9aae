using System.Diagnostics;
using System.Globalization;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// Runs every round: per round, every scenario, and per scenario each server in turn, each started fresh (the
/// scenario decides its plugin, framing and CPU pinning) and killed after. Alternating servers inside a round spreads
/// slow drifts of a shared machine evenly over all of them; ratios are then taken within a round.
/// </summary>
internal sealed class BenchmarkSession
{
    private static readonly TimeSpan _startTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan _settleTimeout = TimeSpan.FromSeconds(20);

    private readonly DriverOptions _options;
    private readonly TextWriter _log;

    public BenchmarkSession(DriverOptions options, TextWriter log)
    {
        _options = options;
        _log = log;
    }

    public async Task<SessionResult> RunAsync(CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.Now;
        var scenarios = _options.Scenarios.Select(name => Scenario.Get(name, _options.Smoke)).ToList();
        var measurements = new List<Measurement>();
        var failures = new List<string>();
        var fdLimit = FileDescriptorLimit.RaiseToHardLimit();
        var (cServer, cLoadGen) = CBaseline.Build();
        var client = _options.Client == "c" ? new CLoadClient(cLoadGen) : null;
        var benchPlugins = BenchPlugins.Prepare();
        var runs = scenarios.Sum(s => s.ServersFrom(_options.Servers).Count);
        Log($"file-descriptor limit {fdLimit}; {_options.Rounds} round(s) x {runs} run(s); client {_options.Client}; C baseline {cServer}");

        try
        {
            for (var round = 1; round <= _options.Rounds; round++)
            {
                foreach (var scenario in scenarios)
                {
                    foreach (var name in InRoundOrder(scenario.ServersFrom(_options.Servers), round))
                    {
                        var server = ServerDefinition.Resolve(name, _options, cServer);
                        await RunOneAsync(server, scenario, round, client, benchPlugins, measurements, failures, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
        finally
        {
            BenchPlugins.Delete(benchPlugins);
        }

        return new SessionResult(_options, MachineInfo.Current(), started, DateTimeOffset.Now, measurements, failures);
    }

    /// <summary>
    /// The servers in the given order in odd rounds and reversed in even ones, so a server's place in the round (the
    /// one after a heavy run, the first after a process start) does not bias its ratios over the rounds.
    /// </summary>
    internal static IEnumerable<string> InRoundOrder(IReadOnlyList<string> servers, int round) =>
        round % 2 == 1 ? servers : servers.Reverse();

    private async Task RunOneAsync(
        ServerDefinition server, Scenario scenario, int round, CLoadClient? client, string benchPlugins, List<Measurement> measurements, List<string> failures, CancellationToken cancellationToken)
    {
        ServerProcess? process = null;
        try
        {
            process = await ServerProcess.StartAsync(server, scenario, benchPlugins, _startTimeout, cancellationToken).ConfigureAwait(false);
            var measurement = scenario.IsIdle
                ? await RunIdleAsync(server, process, scenario, round, client, cancellationToken).ConfigureAwait(false)
                : await RunActiveAsync(server, process, scenario, round, client, idle: null, cancellationToken).ConfigureAwait(false);
            measurements.Add(measurement);
            Log(Describe(measurement));
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{server.Name} exited during {scenario.Name}:{Environment.NewLine}{process.RecentOutput()}");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            failures.Add($"round {round}, {scenario.Name}, {server.Name}: {ex.Message}");
            Log($"FAILED round {round}, {scenario.Name}, {server.Name}: {ex.Message}");
        }
        finally
        {
            process?.Dispose();
        }
    }

    private async Task<Measurement> RunActiveAsync(
        ServerDefinition server, ServerProcess process, Scenario scenario, int round, CLoadClient? client, IdleOutcome? idle, CancellationToken cancellationToken)
    {
        var load = new LoadOptions
        {
            Address = "127.0.0.1",
            Port = process.Port,
            Connections = scenario.Connections,
            Depth = scenario.Depth,
            PayloadBytes = scenario.PayloadBytes,
            Duration = _options.Duration,
            Warmup = _options.Warmup,
            Framing = scenario.Binary ? FrameFormat.Binary : FrameFormat.Default,
            Protocol = server.ClientProtocol,
            Logic = ExpectedLogic.Reverse,
        };

        var sampler = new ServerSampler(process);
        var result = client is null
            ? await new LoadRunner(load).RunAsync(sampler, cancellationToken).ConfigureAwait(false)
            : await client.RunAsync(load, scenario.IsPinned, sampler, cancellationToken).ConfigureAwait(false);
        return new Measurement
        {
            Server = server.Name,
            Scenario = scenario.Name,
            Round = round,
            Load = result,
            CpuSecondsPer100K = PerRequest(sampler.CpuSeconds, result.Requests, 100_000),
            ClientCpuSecondsPer100K = result.ClientCpuSeconds > 0 ? PerRequest(result.ClientCpuSeconds, result.Requests, 100_000) : null,
            AllocatedBytesPerRequest = PerRequest(sampler.AllocatedBytes, result.Requests, 1),
            ActiveReactors = sampler.ActiveReactors,
            IdleRssBytesPerConnection = idle?.RssBytesPerConnection,
            IdleConnectFailures = idle?.Failed ?? 0,
        };
    }

    private async Task<Measurement> RunIdleAsync(ServerDefinition server, ServerProcess process, Scenario scenario, int round, CLoadClient? client, CancellationToken cancellationToken)
    {
        var connectionsBefore = process.Status()?.Connections ?? 0;
        var rssBefore = ProcStats.ResidentBytes(process.Pid);
        using var idle = await IdleConnectionSet.OpenAsync(process.Port, scenario.IdleConnections, cancellationToken).ConfigureAwait(false);
        await WaitForIdleAcceptedAsync(process, connectionsBefore + idle.Opened, cancellationToken).ConfigureAwait(false);
        var rssAfter = ProcStats.ResidentBytes(process.Pid);
        double? perConnection = rssBefore is { } before && rssAfter is { } after && idle.Opened > 0
            ? (after - before) / (double)idle.Opened
            : null;
        Log($"  {server.Name}: {idle.Opened:N0} idle connections open ({idle.Failed} failed), RSS {Mib(rssBefore)} -> {Mib(rssAfter)} MiB");

        // The active load runs while the idle connections are still held.
        return await RunActiveAsync(server, process, scenario, round, client, new IdleOutcome(perConnection, idle.Failed), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until the server has really accepted the idle connections: by its own count when it has a
    /// control channel, otherwise until its RSS stops growing.
    /// </summary>
    private static async Task WaitForIdleAcceptedAsync(ServerProcess process, long expected, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_settleTimeout.TotalSeconds * Stopwatch.Frequency);
        if (process.Status() is not null)
        {
            while (process.Status() is { } status && status.Connections < expected && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var last = ProcStats.ResidentBytes(process.Pid);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
            var now = ProcStats.ResidentBytes(process.Pid);
            if (now is null || last is null || Math.Abs(now.Value - last.Value) < 64 * 1024)
            {
                return;
            }

            last = now;
        }
    }

    private static double? PerRequest(double? total, long requests, double scale) =>
        total is { } value && requests > 0 ? value / requests * scale : null;

    private static string Mib(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) : "n/a";

    private static string Describe(Measurement m) => string.Create(
        CultureInfo.InvariantCulture,
        $"  {m.Scenario,-10} {m.Server,-9} {m.Load.RequestsPerSecond,12:N0} req/s  p50 {m.Load.P50Us,8:F1}  p99 {m.Load.P99Us,8:F1} us  cpu/100k {Format(m.CpuSecondsPer100K)} s  client cpu/100k {Format(m.ClientCpuSecondsPer100K)} s  alloc/req {Format(m.AllocatedBytesPerRequest)} B  reactors {m.ActiveReactors?.ToString(CultureInfo.InvariantCulture) ?? "-"}  errors {m.Errors}");

    private static string Format(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "n/a";

    private void Log(string line)
    {
        _log.WriteLine(line);
        _log.Flush();
    }

    private sealed record IdleOutcome(double? RssBytesPerConnection, int Failed);
}
