using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluggableNet.Bench.Driver.Fanout;

/// <summary>
/// The fan-out benchmark (issue 21): per round every server in turn (the order reversed in even rounds), each started
/// fresh, the load generator run against it once (registration, warm-up, the phases); the server sampled at every
/// phase's edges. Writes README.md (medians, ratios ×C, every round) and results.json into the output folder.
/// </summary>
internal static class FanoutSuite
{
    public static async Task<int> RunAsync(FanoutOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.Now;
        var loadBefore = SuiteResults.LoadAverage();
        var fdLimit = FileDescriptorLimit.RaiseToHardLimit();
        var (cServer, loadgen) = CBaseline.BuildFanout();
        var client = new FanoutLoadClient(loadgen);
        var benchPlugins = BenchPlugins.Prepare();
        var runs = new List<FanoutRun>();
        SuiteResults.Log(log, $"fanout: {options.Connections:N0} receivers, {options.Messages} messages of {options.PayloadBytes} B per phase ({string.Join(", ", options.Phases)}), {options.WarmupMessages} warm-up; {options.Rounds} round(s) of {string.Join(", ", options.Servers)}; {options.ClientThreads} client thread(s); descriptor limit {fdLimit}");
        try
        {
            for (var round = 1; round <= options.Rounds; round++)
            {
                foreach (var name in BenchmarkSession.InRoundOrder(options.Servers, round))
                {
                    var server = FanoutServers.Resolve(name, options.HostDll, options.BaseHostDll, cServer, benchPlugins);
                    var measured = await RunOneAsync(server, round, options, client, benchPlugins, cancellationToken).ConfigureAwait(false);
                    runs.AddRange(measured);
                    foreach (var run in measured)
                    {
                        SuiteResults.Log(log, Describe(run));
                    }
                }
            }
        }
        finally
        {
            BenchPlugins.Delete(benchPlugins);
        }

        var finished = DateTimeOffset.Now;
        var context = new FanoutReportContext(options, MachineInfo.Current(), started, finished, loadBefore, SuiteResults.LoadAverage());
        var markdown = FanoutReport.Render(context, runs);
        var document = SuiteResults.Document(
            started,
            context.Finished,
            options.CommandLine,
            (loadBefore, context.LoadAfter),
            context.Machine,
            options with { OutputDirectory = string.Empty, HostDll = Path.GetFileName(options.HostDll), BaseHostDll = options.BaseHostDll is null ? null : Path.GetFileName(options.BaseHostDll) },
            FanoutReport.Summarize(runs),
            runs,
            runs.All(r => r.Succeeded));
        await SuiteResults.WriteAsync(options.OutputDirectory, markdown, document, log, cancellationToken).ConfigureAwait(false);
        return runs.All(r => r.Succeeded) ? 0 : 1;
    }

    /// <summary>Writes README.md again from the results.json of an earlier run (after a change to the report only).</summary>
    public static async Task<int> RenderAsync(string outputDirectory, TextWriter log, CancellationToken cancellationToken)
    {
        var document = await SuiteResults.ReadAsync(outputDirectory, cancellationToken).ConfigureAwait(false);
        var options = document["settings"].Deserialize<FanoutOptions>(SuiteResults.Json)! with { OutputDirectory = outputDirectory };
        var runs = document["runs"].Deserialize<List<FanoutRun>>(SuiteResults.Json)!;
        var context = new FanoutReportContext(
            options,
            document["machine"].Deserialize<MachineInfo>(SuiteResults.Json)!,
            DateTimeOffset.Parse((string)document["started"]!, CultureInfo.InvariantCulture),
            DateTimeOffset.Parse((string)document["finished"]!, CultureInfo.InvariantCulture),
            (string?)document["loadAverageBefore"],
            (string?)document["loadAverageAfter"]);
        document["summary"] = JsonSerializer.SerializeToNode(FanoutReport.Summarize(runs), SuiteResults.Json);
        await SuiteResults.RewriteAsync(outputDirectory, FanoutReport.Render(context, runs), document, log, cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private static async Task<List<FanoutRun>> RunOneAsync(
        ServerDefinition server, int round, FanoutOptions options, FanoutLoadClient client, string benchPlugins, CancellationToken cancellationToken)
    {
        var starts = new Dictionary<string, (double? Cpu, long? Allocated)>();
        var ends = new Dictionary<string, (double? Cpu, long? Allocated)>();
        ServerProcess? process = null;
        try
        {
            process = await ServerProcess.StartAsync(server, new Scenario("fanout", 1, 1, options.PayloadBytes), benchPlugins, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            var running = process;

            // As ServerSampler: the status query's own CPU stays outside the window, the CPU reading inside it.
            void OnEdge(string phase, bool start)
            {
                if (start)
                {
                    var allocated = running.Status()?.AllocatedBytes;
                    starts[phase] = (ProcStats.PreciseCpuSeconds(running.Pid), allocated);
                }
                else
                {
                    var cpu = ProcStats.PreciseCpuSeconds(running.Pid);
                    ends[phase] = (cpu, running.Status()?.AllocatedBytes);
                }
            }

            var outcome = await client.RunAsync(process.Port, options, OnEdge, cancellationToken).ConfigureAwait(false);
            var failure = outcome.ExitCode == 0 ? null : $"load generator exit {outcome.ExitCode}: {Tail(outcome.Error)}";
            if (process.HasExited)
            {
                failure = $"{server.Name} exited during the run: {Tail(process.RecentOutput())}";
            }
            else if (failure is not null)
            {
                failure += $" (server output: {Tail(process.RecentOutput())})";
            }

            var idleAllocated = ends.GetValueOrDefault(FanoutRun.IdlePhase).Allocated - starts.GetValueOrDefault(FanoutRun.IdlePhase).Allocated;
            return options.Phases.Select(phase =>
            {
                var load = outcome.Phases.FirstOrDefault(p => p.Phase == phase);
                var (startCpu, startAllocated) = starts.GetValueOrDefault(phase);
                var (endCpu, endAllocated) = ends.GetValueOrDefault(phase);
                return new FanoutRun
                {
                    Round = round,
                    Server = server.Name,
                    Phase = phase,
                    Load = load,
                    ServerCpuSeconds = endCpu - startCpu,
                    AllocatedBytes = endAllocated - startAllocated,
                    RegisterSeconds = outcome.RegisterSeconds,
                    IdleAllocatedBytes = idleAllocated,
                    IdleSeconds = outcome.IdleSeconds,
                    Failure = load is null ? failure ?? "the load generator printed no result for this phase" : failure,
                };
            }).ToList();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return options.Phases.Select(phase => new FanoutRun { Round = round, Server = server.Name, Phase = phase, Failure = ex.Message }).ToList();
        }
        finally
        {
            process?.Dispose();
        }
    }

    private static string Tail(string text) => text.Length <= 600 ? text : "…" + text[^600..];

    private static string Describe(FanoutRun r) => r.Load is null
        ? $"  FAILED round {r.Round} {r.Server} {r.Phase}: {r.Failure}"
        : string.Create(
            CultureInfo.InvariantCulture,
            $"  round {r.Round} {r.Server,-8} {r.Phase,-6} {r.DeliveriesPerSecond,12:N0} deliveries/s  last message {r.LastMessageMs,8:F1} ms  fan-out p50 {r.FanoutP50Ms,8:F1} ms  server {r.ServerCores:F2} cores, {r.ServerCpuUsPerDelivery:F2} us/delivery  client {r.ClientCores:F2} cores  alloc {(r.AllocatedBytesPerDelivery is { } a ? a.ToString("F3", CultureInfo.InvariantCulture) : "n/a")} B/delivery{(r.Failure is null ? string.Empty : "  FAILED: " + r.Failure)}");
}
