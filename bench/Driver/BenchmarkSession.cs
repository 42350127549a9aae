using System.Diagnostics;
using System.Globalization;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// Runs every round: per round, each server in turn is started, put through every scenario and killed.
/// Alternating servers inside a round spreads slow drifts of a shared machine evenly over all of them.
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
        var servers = _options.Servers.Select(ResolveServer).ToList();
        var scenarios = _options.Scenarios.Select(name => Scenario.Get(name, _options.Smoke)).ToList();
        var measurements = new List<Measurement>();
        var failures = new List<string>();
        var fdLimit = FileDescriptorLimit.RaiseToHardLimit();
        Log($"file-descriptor limit {fdLimit}; {_options.Rounds} round(s) x {servers.Count} server(s) x {scenarios.Count} scenario(s)");

        for (var round = 1; round <= _options.Rounds; round++)
        {
            foreach (var server in servers)
            {
                ServerProcess? process = null;
                try
                {
                    process = await ServerProcess.StartAsync(server, _startTimeout, cancellationToken).ConfigureAwait(false);
                    Log($"round {round}: {server.Name} pid {process.Pid} on port {process.Port}");
                    foreach (var scenario in scenarios)
                    {
                        var measurement = scenario.IsIdle
                            ? await RunIdleAsync(server, process, scenario, round, cancellationToken).ConfigureAwait(false)
                            : await RunActiveAsync(server, process, scenario, round, idle: null, cancellationToken).ConfigureAwait(false);
                        measurements.Add(measurement);
                        Log(Describe(measurement));
                        if (process.HasExited)
                        {
                            throw new InvalidOperationException($"{server.Name} exited during {scenario.Name}:{Environment.NewLine}{process.RecentOutput()}");
                        }
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    failures.Add($"round {round}, {server.Name}: {ex.Message}");
                    Log($"FAILED round {round}, {server.Name}: {ex.Message}");
                }
                finally
                {
                    process?.Dispose();
                }
            }
        }

        return new SessionResult(_options, MachineInfo.Current(), started, DateTimeOffset.Now, measurements, failures);
    }

    private ServerDefinition ResolveServer(string name) => name.ToLowerInvariant() switch
    {
        "epoll" => ServerDefinition.Host("epoll", "Epoll", _options.HostDll),
        "sockets" => ServerDefinition.Host("sockets", "Sockets", _options.HostDll),
        "epoll+metrics" => ServerDefinition.HostWithMetrics(_options.HostDll),
        ServerDefinition.KestrelName => ServerDefinition.Kestrel(_options.KestrelDll),
        _ => throw new ArgumentException($"Unknown server '{name}': use epoll, sockets, epoll+metrics or kestrel."),
    };

    private async Task<Measurement> RunActiveAsync(
        ServerDefinition server, ServerProcess process, Scenario scenario, int round, IdleOutcome? idle, CancellationToken cancellationToken)
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
            Framing = FrameFormat.Default,
            Logic = ExpectedLogic.Reverse,
        };

        var sampler = new ServerSampler(process);
        var result = await new LoadRunner(load).RunAsync(sampler, cancellationToken).ConfigureAwait(false);
        return new Measurement
        {
            Server = server.Name,
            Scenario = scenario.Name,
            Round = round,
            Load = result,
            CpuSecondsPer100K = PerRequest(sampler.CpuSeconds, result.Requests, 100_000),
            AllocatedBytesPerRequest = PerRequest(sampler.AllocatedBytes, result.Requests, 1),
            IdleRssBytesPerConnection = idle?.RssBytesPerConnection,
            IdleConnectFailures = idle?.Failed ?? 0,
        };
    }

    private async Task<Measurement> RunIdleAsync(ServerDefinition server, ServerProcess process, Scenario scenario, int round, CancellationToken cancellationToken)
    {
        // Connections of the previous scenario may still be closing on the server: let them go first.
        await WaitForConnectionCountAsync(process, count => count == 0, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
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
        return await RunActiveAsync(server, process, scenario, round, new IdleOutcome(perConnection, idle.Failed), cancellationToken).ConfigureAwait(false);
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
            await WaitForConnectionCountAsync(process, count => count >= expected, _settleTimeout, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Polls the server's own connection count until <paramref name="done"/> holds; no-op without a control channel.</summary>
    private static async Task WaitForConnectionCountAsync(ServerProcess process, Func<long, bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (process.Status() is { } status && !done(status.Connections) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    private static double? PerRequest(double? total, long requests, double scale) =>
        total is { } value && requests > 0 ? value / requests * scale : null;

    private static string Mib(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) : "n/a";

    private static string Describe(Measurement m) => string.Create(
        CultureInfo.InvariantCulture,
        $"  {m.Server,-8} {m.Scenario,-10} {m.Load.RequestsPerSecond,12:N0} req/s  p50 {m.Load.P50Us,8:F1}  p99 {m.Load.P99Us,8:F1} us  cpu/100k {Format(m.CpuSecondsPer100K)} s  alloc/req {Format(m.AllocatedBytesPerRequest)} B  errors {m.Errors}");

    private static string Format(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "n/a";

    private void Log(string line)
    {
        _log.WriteLine(line);
        _log.Flush();
    }

    private sealed record IdleOutcome(double? RssBytesPerConnection, int Failed);
}
