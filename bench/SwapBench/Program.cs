using System.Diagnostics;
using System.Globalization;
using PluggableNet.Bench.SwapBench;

// Measures hot swap on the real host, default timings:
// (a) from the end of a deploy to the first answer from the new code, for the three ways plugins arrive:
//     the atomic folder deploy of PluggableNet.Abstractions' build logic (stage, retire, rename into place),
//     an `mv` of a DLL over the active one, and a copy over it (written in place);
// (b) requests/s while a new version is deployed every second vs. with no deploys;
// (c) from the end of a config-file save switching Logic:Plugin to the first answer from that plugin.
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
foreach (var (folder, version) in new[] { ("Rev", versions[0]), ("Up", versions[1]) })
{
    Directory.CreateDirectory(Path.Combine(pluginsPath, folder));
    File.WriteAllBytes(Path.Combine(pluginsPath, folder, folder + ".dll"), version.Dll);
}

var configFile = Path.Combine(work, "host.json");
WriteConfig(configFile, "Bench");

try
{
    using var host = await HostUnderTest.StartAsync(hostDll, pluginsPath, Path.Combine(work, "control.sock"), configFile);
    Console.WriteLine($"Host {hostDll} on port {host.Port}; {Environment.ProcessorCount} cores; default timings");

    // (a) Deploy → first answer from the new version, on one open connection.
    var swaps = 0;
    using (var probe = new FramedConnection(host.Port))
    {
        foreach (var (label, deploy) in new (string, Func<byte[], Stopwatch>)[]
        {
            ("atomic folder deploy, exchanged (the build's deploy on Linux)", dll => ExchangeFolder(dll, pluginsPath)),
            ("atomic folder deploy, two renames (its fallback)", dll => DeployFolder(dll, pluginsPath)),
            ("mv of the DLL", dll => MoveDll(dll, pluginsPath, target)),
            ("copy over the DLL", dll => CopyDll(dll, target)),
        })
        {
            var latencies = new List<double>();
            for (var r = 1; r <= options.Repetitions; r++)
            {
                var next = versions[(swaps + 1) % 2];
                latencies.Add((await TimeSwapAsync(probe, next, deploy)).TotalMilliseconds);
                swaps++;
                await WaitForAsync(async () => await host.SwapsAsync() >= swaps, "the swap to finish draining");
            }

            latencies.Sort();
            Console.WriteLine(FormattableString.Invariant(
                $"(a) {label} → first new answer, {latencies.Count} swaps: median {Percentile(latencies, 0.5):F1} ms, p90 {Percentile(latencies, 0.9):F1} ms, min {latencies[0]:F1} ms, max {latencies[^1]:F1} ms"));
        }
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
                DeployFolder(versions[++deployed % 2 == 0 ? 0 : 1].Dll, pluginsPath);
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
    // (c) Config switch: Logic:Plugin flips between Rev and Up in the --config file (a first, untimed switch to Up
    // makes every timed one a real change of answers).
    using (var probe = new FramedConnection(host.Port))
    {
        var first = await host.SwapsAsync();
        await TimeSwapAsync(probe, versions[1], _ =>
        {
            WriteConfig(configFile, "Up");
            return Stopwatch.StartNew();
        });
        await WaitForAsync(async () => await host.SwapsAsync() > first, "the first switch to finish draining");
        var latencies = new List<double>();
        for (var r = 1; r <= options.Repetitions; r++)
        {
            var (plugin, version) = r % 2 == 1 ? ("Rev", versions[0]) : ("Up", versions[1]);
            var before = await host.SwapsAsync();
            latencies.Add((await TimeSwapAsync(probe, version, _ =>
            {
                WriteConfig(configFile, plugin);
                return Stopwatch.StartNew();
            })).TotalMilliseconds);
            await WaitForAsync(async () => await host.SwapsAsync() > before, "the switch to finish draining");
        }

        latencies.Sort();
        Console.WriteLine(FormattableString.Invariant(
            $"(c) config switch of Logic:Plugin → first answer from it, {latencies.Count} switches: median {Percentile(latencies, 0.5):F1} ms, p90 {Percentile(latencies, 0.9):F1} ms, min {latencies[0]:F1} ms, max {latencies[^1]:F1} ms"));
    }

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

static async Task<TimeSpan> TimeSwapAsync(FramedConnection probe, PluginVersion next, Func<byte[], Stopwatch> deploy)
{
    const string Payload = "abcdef";
    var expected = next.Answer(Payload);
    using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    var clock = deploy(next.Dll);
    while (await probe.AskAsync(Payload, cancellation.Token) != expected)
    {
        await Task.Delay(1, cancellation.Token);
    }

    return clock.Elapsed;
}

// The deploy contract of the build logic: the whole plugin staged in a dot-prefixed folder, the live folder retired
// under a dot-prefixed name, the staged one renamed into place, the retired one deleted. The clock starts at the
// rename into place (deleting the retired folder is counted in the latency).
static Stopwatch DeployFolder(byte[] dll, string pluginsPath)
{
    var unique = Guid.NewGuid().ToString("N");
    var live = Path.Combine(pluginsPath, "Bench");
    var staging = Path.Combine(pluginsPath, $".Bench.deploying-{unique}");
    var retired = Path.Combine(pluginsPath, $".Bench.retired-{unique}");
    Directory.CreateDirectory(staging);
    File.WriteAllBytes(Path.Combine(staging, "Bench.dll"), dll);
    Directory.Move(live, retired);
    Directory.Move(staging, live);
    var clock = Stopwatch.StartNew();
    Directory.Delete(retired, recursive: true);
    return clock;
}

// What the build's deploy does on Linux (src/BuildTasks/SwapPluginDirectory.cs): the staged folder and the live one
// exchanged in one renameat2(RENAME_EXCHANGE), so the plugin's folder never disappears; then the old one, now under the
// staging name, deleted. The clock starts at the exchange.
static Stopwatch ExchangeFolder(byte[] dll, string pluginsPath)
{
    var unique = Guid.NewGuid().ToString("N");
    var live = Path.Combine(pluginsPath, "Bench");
    var staging = Path.Combine(pluginsPath, $".Bench.deploying-{unique}");
    Directory.CreateDirectory(staging);
    File.WriteAllBytes(Path.Combine(staging, "Bench.dll"), dll);
    if (RenameExchange.Exchange(staging, live) != 0)
    {
        throw new IOException($"renameat2(RENAME_EXCHANGE) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }

    var clock = Stopwatch.StartNew();
    Directory.Delete(staging, recursive: true);
    return clock;
}

// Writes the new DLL beside the folder, then renames it over the active one; the clock starts at the rename.
static Stopwatch MoveDll(byte[] dll, string pluginsPath, string target)
{
    var staging = Path.Combine(pluginsPath, $".staging-{Guid.NewGuid():N}.dll");
    File.WriteAllBytes(staging, dll);
    File.Move(staging, target, overwrite: true);
    return Stopwatch.StartNew();
}

// Writes over the active DLL in place, as `cp` does; the clock starts when the copy is complete.
static Stopwatch CopyDll(byte[] dll, string target)
{
    File.WriteAllBytes(target, dll);
    return Stopwatch.StartNew();
}

// Rewrites the --config file in place, as an editor saving it does.
static void WriteConfig(string path, string plugin) =>
    File.WriteAllText(path, $$"""{ "Logic": { "Plugin": "{{plugin}}" } }""");

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
