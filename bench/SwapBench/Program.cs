using System.Diagnostics;
using System.Globalization;
using PluggableNet.Bench.SwapBench;

// Measures hot swap on the real host: (a) time from a plugin DLL renamed over the active one to the first answer
// from the new version, (b) requests/s while a new version is deployed every second vs. with no deploys.
var options = SwapBenchOptions.Parse(args);
var hostDll = options.HostDll ?? FindHost();
var bundled = Path.Combine(Path.GetDirectoryName(hostDll)!, "plugins");
var versions = new[]
{
    new PluginVersion("Reverse", File.ReadAllBytes(Path.Combine(bundled, "Reverse", "PluggableNet.Plugins.Reverse.dll")), s => new string(s.Reverse().ToArray())),
    new PluginVersion("Upper", File.ReadAllBytes(Path.Combine(bundled, "Upper", "PluggableNet.Plugins.Upper.dll")), s => s.ToUpperInvariant()),
};

var work = Path.Combine(Path.GetTempPath(), $"pnet-swapbench-{Guid.NewGuid():N}");
var pluginsPath = Path.Combine(work, "plugins");
var target = Path.Combine(pluginsPath, "Bench", "Bench.dll");
Directory.CreateDirectory(Path.GetDirectoryName(target)!);
File.WriteAllBytes(target, versions[0].Dll);

try
{
    using var host = await HostUnderTest.StartAsync(hostDll, pluginsPath, Path.Combine(work, "control.sock"));
    Console.WriteLine($"Host {hostDll} on port {host.Port}; {Environment.ProcessorCount} cores; default debounce (300 ms) + stability check (250 ms)");

    // (a) File change → first answer from the new version, on one open connection.
    using (var probe = new FramedConnection(host.Port))
    {
        var latencies = new List<double>();
        for (var r = 1; r <= options.Repetitions; r++)
        {
            var next = versions[r % 2];
            var elapsed = await TimeSwapAsync(probe, next, pluginsPath, target);
            latencies.Add(elapsed.TotalMilliseconds);
            await WaitForAsync(async () => await host.SwapsAsync() >= r, "the swap to finish draining");
        }

        latencies.Sort();
        Console.WriteLine(FormattableString.Invariant(
            $"(a) file change → first new answer, {latencies.Count} swaps: median {Percentile(latencies, 0.5):F0} ms, p90 {Percentile(latencies, 0.9):F0} ms, min {latencies[0]:F0} ms, max {latencies[^1]:F0} ms"));
    }

    // (b) Throughput with and without a deploy every second, interleaved in one run: none, swapping, none, swapping.
    var swapsBefore = await host.SwapsAsync();
    var load = new LoadRun(host.Port, options.Connections, options.Depth, versions);
    var loadTask = load.RunAsync();
    await Task.Delay(1000);
    double quietRequests = 0, quietSeconds = 0, swapRequests = 0, swapSeconds = 0;
    var deployed = 0;
    for (var phase = 0; phase < 4; phase++)
    {
        var swapping = phase % 2 == 1;
        var startCount = load.Answers;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(options.PhaseSeconds))
        {
            if (swapping)
            {
                Deploy(versions[++deployed % 2 == 0 ? 0 : 1].Dll, pluginsPath, target);
            }

            await Task.Delay(1000);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var requests = load.Answers - startCount;
        Console.WriteLine(FormattableString.Invariant($"    phase {phase + 1} ({(swapping ? "deploy every 1 s" : "no deploys")}): {requests / seconds:F0} req/s"));
        if (swapping)
        {
            swapRequests += requests;
            swapSeconds += seconds;
        }
        else
        {
            quietRequests += requests;
            quietSeconds += seconds;
        }
    }

    load.Stop();
    await loadTask;
    var swapsDuring = await host.SwapsAsync() - swapsBefore;
    var quietRate = quietRequests / quietSeconds;
    var swapRate = swapRequests / swapSeconds;
    Console.WriteLine(FormattableString.Invariant(
        $"(b) {options.Connections} connections × depth {options.Depth}: no swaps {quietRate:F0} req/s, swap every second {swapRate:F0} req/s ({swapsDuring} swaps), ratio {swapRate / quietRate:F3}; wrong answers {load.WrongAnswers}, connection errors {load.Errors}"));
    return load.WrongAnswers == 0 && load.Errors == 0 ? 0 : 1;
}
finally
{
    try
    {
        Directory.Delete(work, recursive: true);
    }
    catch (IOException)
    {
        // Best effort.
    }
}

static async Task<TimeSpan> TimeSwapAsync(FramedConnection probe, PluginVersion next, string pluginsPath, string target)
{
    const string Payload = "abcdef";
    var expected = next.Answer(Payload);
    using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    var clock = Deploy(next.Dll, pluginsPath, target);
    while (await probe.AskAsync(Payload, cancellation.Token) != expected)
    {
        await Task.Delay(1, cancellation.Token);
    }

    return clock.Elapsed;
}

// Writes the new DLL beside the folder, then renames it over the active one (an atomic deploy); the clock starts at the rename.
static Stopwatch Deploy(byte[] dll, string pluginsPath, string target)
{
    var staging = Path.Combine(pluginsPath, $".staging-{Guid.NewGuid():N}.dll");
    File.WriteAllBytes(staging, dll);
    var clock = Stopwatch.StartNew();
    File.Move(staging, target, overwrite: true);
    return clock;
}

static async Task WaitForAsync(Func<Task<bool>> condition, string what)
{
    var clock = Stopwatch.StartNew();
    while (!await condition())
    {
        if (clock.Elapsed > TimeSpan.FromSeconds(30))
        {
            throw new TimeoutException($"Timed out waiting for {what}.");
        }

        await Task.Delay(20);
    }
}

static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

static string FindHost()
{
    for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
    {
        foreach (var configuration in new[] { "Release", "Debug" })
        {
            var candidate = Path.Combine(directory.FullName, "src", "Host", "bin", configuration, "net10.0", "PluggableNet.Host.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
    }

    throw new FileNotFoundException("PluggableNet.Host.dll not found; build src/Host or pass --host PATH.");
}
