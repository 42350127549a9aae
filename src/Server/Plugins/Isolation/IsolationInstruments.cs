using System.Diagnostics.Metrics;
using PluggableNet.Server.Diagnostics;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// The isolation instruments of the <c>PluggableNet</c> meter (docs/observability.md): how requests to plugins in
/// <c>Isolation Process</c> were batched, and their workers' crashes and restarts, read from
/// <see cref="IsolationCounterSets"/> when a listener collects. One series per isolated plugin name (bounded), tagged
/// <c>pluggablenet.plugin.name</c> besides the endpoint's tags; nothing is reported before a plugin runs isolated.
/// </summary>
internal static class IsolationInstruments
{
    public static void Register(HostMeter meter, IsolationCounterSets sets)
    {
        Counter(meter, sets, "pluggablenet.isolation.requests", static c => c.Requests, "{request}",
            "Requests queued to an isolated plugin's worker process.");
        Counter(meter, sets, "pluggablenet.isolation.request_writes", static c => c.RequestWrites, "{write}",
            "Socket writes that carried requests to the worker, each a batch of one or more: requests divided by this is the batch factor.");
        Counter(meter, sets, "pluggablenet.isolation.answers", static c => c.Answers, "{answer}",
            "Answers read from an isolated plugin's worker process.");
        Counter(meter, sets, "pluggablenet.isolation.answer_reads", static c => c.AnswerReads, "{read}",
            "Socket reads that brought answers back, each a batch of one or more.");
        Counter(meter, sets, "pluggablenet.isolation.blocked_sends", static c => c.BlockedSends, "{send}",
            "Epoll reactor channel sends that found the worker's socket buffer full and read answers while they waited.");
        Counter(meter, sets, "pluggablenet.isolation.worker_crashes", static c => c.WorkerCrashes, "{crash}",
            "Worker processes that died while serving (exit, signal, or killed past Limits:ProcessTimeout).");
        Counter(meter, sets, "pluggablenet.isolation.worker_restarts", static c => c.WorkerRestarts, "{restart}",
            "Worker processes started again after a crash.");
    }

    private static void Counter(HostMeter meter, IsolationCounterSets sets, string name, Func<IsolationCounters, long> read, string unit, string description) =>
        meter.Meter.CreateObservableCounter(name, () => Observe(meter, sets, read), unit, description);

    private static IEnumerable<Measurement<long>> Observe(HostMeter meter, IsolationCounterSets sets, Func<IsolationCounters, long> read)
    {
        var endPoint = meter.EndPointTagSet;
        foreach (var (plugin, counters) in sets.Snapshot())
        {
            yield return new Measurement<long>(read(counters), [.. endPoint, new(HostMeter.Tags.PluginName, plugin)]);
        }
    }
}
