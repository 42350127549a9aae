using System.Globalization;
using System.Text.RegularExpressions;
using PluggableNet.Server;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Isolation;

/// <summary>
/// Issue 24's batching is visible to an operator: a real host with Reverse in <c>Isolation Process</c>, under pipelined
/// load, shows in <c>status</c> (the control socket and the CLI verb) its worker's pid and restarts and its counters
/// growing with more requests than writes (the batch factor), and its Prometheus scrape has the
/// <c>pluggablenet.isolation.*</c> counters at the same values. A killed worker shows as a crash and a restart, with a
/// new pid. Both transports, both protocols.
/// </summary>
public sealed partial class IsolationStatusAndMetricsTests
{
    private const int Peers = 4;
    private const int Depth = 16;
    private const int Bursts = 50;
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(30);

    [LinuxTheory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task PipelinedLoadShowsBatchingInStatusAndMetrics(string transport, string protocol)
    {
        var port = FreePort.Next();
        await using var host = await RunningHost.StartAsync(transport, Arguments($"--Telemetry:Prometheus:Endpoint=http://127.0.0.1:{port}/metrics"));
        var before = (await host.StatusAsync(s => s.Isolation is { WorkerPid: > 0 }, s_long)).Isolation!;
        Assert.Equal("Reverse", before.Plugin);
        Assert.NotEqual(host.Process.Id, before.WorkerPid);
        Assert.True(WorkerProcesses.IsAlive(before.WorkerPid), $"worker {before.WorkerPid} runs");

        await RunPipelinedAsync(host, protocol);

        const int sent = Peers * Bursts * Depth;
        var after = (await host.StatusAsync(s => s.Isolation!.Answers - before.Answers >= sent, s_long)).Isolation!;
        var requests = after.Requests - before.Requests;
        var writes = after.RequestWrites - before.RequestWrites;
        var reads = after.AnswerReads - before.AnswerReads;
        Assert.Equal(sent, requests);
        Assert.Equal(sent, after.Answers - before.Answers);

        // Each burst of 16 arrives in one or a few receives and goes to the worker in one write per pass; an inline
        // plugin answers one read in one write.
        Assert.True(writes > 0 && requests >= 2 * writes, $"{requests} requests in {writes} writes");
        Assert.True(reads > 0 && requests >= 2 * reads, $"{requests} answers in {reads} reads");
        Assert.True(after.RequestsPerWrite > 1, $"requests per write {after.RequestsPerWrite}");
        Assert.Equal(before.WorkerPid, after.WorkerPid);
        Assert.Equal((0, 0), (after.WorkerCrashes, after.WorkerRestarts));

        // The CLI verb prints the same, one line for the worker and one for batching.
        var text = await HostProcess.RunAsync(["status", $"--Control:Socket={host.ControlSocket}"]);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains($"isolation:    Reverse in worker process {after.WorkerPid}; 0 crash(es), 0 restart(s)", text.Output, StringComparison.Ordinal);
        var batching = BatchingLine().Match(text.Output);
        Assert.True(batching.Success, text.Output);
        Assert.True(long.Parse(batching.Groups["requests"].Value, CultureInfo.InvariantCulture) >= after.Requests, batching.Value);
        Assert.True(double.Parse(batching.Groups["factor"].Value, CultureInfo.InvariantCulture) > 1, batching.Value);

        // The scrape: one series per isolated plugin, at the values status gives now that the load has stopped.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var final = (await host.StatusAsync(_ => true)).Isolation!;
        Dictionary<string, double> metrics = [];
        await Wait.UntilAsync(
            async () =>
            {
                metrics = IsolationSamples(await http.GetStringAsync("/metrics"));
                return metrics.GetValueOrDefault("pluggablenet_isolation_answers_total") >= final.Answers;
            },
            s_long,
            $"the scrape to show {final.Answers} answers; got {string.Join(", ", metrics)}");
        Assert.Equal(final.Requests, metrics["pluggablenet_isolation_requests_total"]);
        Assert.Equal(final.RequestWrites, metrics["pluggablenet_isolation_request_writes_total"]);
        Assert.Equal(final.AnswerReads, metrics["pluggablenet_isolation_answer_reads_total"]);
        Assert.True(metrics["pluggablenet_isolation_requests_total"] > metrics["pluggablenet_isolation_request_writes_total"]);
        Assert.Equal(0, metrics["pluggablenet_isolation_worker_crashes_total"]);
        Assert.Equal(0, metrics["pluggablenet_isolation_worker_restarts_total"]);
        Assert.True(metrics.ContainsKey("pluggablenet_isolation_blocked_sends_total"), string.Join(", ", metrics.Keys));
    }

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AKilledWorkerShowsAsACrashAndARestartWithANewPid(string transport)
    {
        await using var host = await RunningHost.StartAsync(transport, Arguments());
        var first = (await host.StatusAsync(s => s.Isolation is { WorkerPid: > 0 }, s_long)).Isolation!;
        using (var client = host.Connect())
        {
            Assert.Equal("cba", await client.AskAsync("abc"));
        }

        System.Diagnostics.Process.GetProcessById(first.WorkerPid).Kill();

        var restarted = (await host.StatusAsync(s => s.Isolation is { WorkerRestarts: 1, WorkerPid: > 0 }, s_long)).Isolation!;
        Assert.NotEqual(first.WorkerPid, restarted.WorkerPid);
        Assert.Equal(1, restarted.WorkerCrashes);
        Assert.False(restarted.GaveUp);
        using (var client = host.Connect())
        {
            Assert.Equal("fed", await client.AskAsync("def"));
        }

        // The counts carry over from the first worker: they are the plugin's, not one worker's.
        var after = (await host.StatusAsync(s => s.Isolation!.Answers >= first.Answers + 2)).Isolation!;
        Assert.True(after.Requests >= 2, $"{after.Requests} requests");
        var text = await HostProcess.RunAsync(["status", $"--Control:Socket={host.ControlSocket}"]);
        Assert.Contains($"isolation:    Reverse in worker process {restarted.WorkerPid}; 1 crash(es), 1 restart(s)", text.Output, StringComparison.Ordinal);
    }

    private static string[] Arguments(params string[] more) =>
        ["--Logic:Plugin=Reverse", "--Plugins:Reverse:Isolation=Process", .. more];

    private static async Task RunPipelinedAsync(RunningHost host, string protocol)
    {
        var peers = new List<PipelinedPeer>();
        try
        {
            for (var i = 0; i < Peers; i++)
            {
                peers.Add(await PipelinedPeer.OpenAsync(host.EndPoint, protocol, Depth));
            }

            await Task.WhenAll(peers.Select(p => p.RunAsync(Bursts)));
        }
        finally
        {
            peers.ForEach(p => p.Dispose());
        }
    }

    /// <summary>The <c>pluggablenet_isolation_*</c> samples of a Prometheus text scrape, by name (one plugin: one series each).</summary>
    private static Dictionary<string, double> IsolationSamples(string scrape)
    {
        var samples = new Dictionary<string, double>();
        foreach (Match match in IsolationSample().Matches(scrape))
        {
            Assert.Equal("Reverse", match.Groups["plugin"].Value);
            samples[match.Groups["name"].Value] = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return samples;
    }

    [GeneratedRegex(@"batching:\s+(?<requests>\d+) request\(s\) in \d+ write\(s\) \((?<factor>[\d.]+) per write\), \d+ answer\(s\) in \d+ read\(s\) \([\d.]+ per read\), \d+ blocked send\(s\)")]
    private static partial Regex BatchingLine();

    [GeneratedRegex("""^(?<name>pluggablenet_isolation_[a-z_]+)\{[^}]*pluggablenet_plugin_name="(?<plugin>[^"]*)"[^}]*\}\s+(?<value>\S+)""", RegexOptions.Multiline)]
    private static partial Regex IsolationSample();
}
