using System.Globalization;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// Runs the C load generator (bench/Baselines/C/loadgen.c) as a child process: it tells when its measured window opens
/// and closes ("measuring", "measured"), so the server's CPU and allocations are sampled at the same edges, then prints
/// its result as LoadResult JSON. It costs far less CPU per request than the .NET load generator, which on shared cores
/// would otherwise take the CPU that separates one server from another.
/// </summary>
internal sealed class CLoadClient(string executable)
{
    public async Task<LoadResult> RunAsync(LoadOptions load, bool pinned, ILoadObserver observer, CancellationToken cancellationToken)
    {
        List<string> command =
        [
            executable,
            "-a", load.Address,
            "-p", load.Port.ToString(CultureInfo.InvariantCulture),
            "-c", load.Connections.ToString(CultureInfo.InvariantCulture),
            "-d", load.Depth.ToString(CultureInfo.InvariantCulture),
            "-s", load.PayloadBytes.ToString(CultureInfo.InvariantCulture),
            "-f", load.Framing.ToString(),
            "-t", load.Duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            "-w", load.Warmup.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            "-P", load.Protocol == WireVersion.V2 ? "2" : "1",
        ];
        if (pinned)
        {
            command = ["taskset", "-c", Pinning.ClientCpus, .. command];
        }

        void OnLine(string line, bool isError)
        {
            if (isError)
            {
                return;
            }

            // Called on the output reader: the sampler reads /proc and the control socket, both quick.
            if (line == "measuring")
            {
                observer.OnMeasurementStarting();
            }
            else if (line == "measured")
            {
                observer.OnMeasurementEnded();
            }
        }

        var limit = load.Warmup + load.Duration + TimeSpan.FromSeconds(30);
        await using var process = ChildProcess.Start(command[0], command.Skip(1), onLine: OnLine, deadline: limit);
        var exitCode = await process.WaitForExitAsync(limit, cancellationToken).ConfigureAwait(false);
        var json = process.Output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{'));
        return (json is null ? null : LoadResult.FromJson(json))
            ?? throw new InvalidOperationException($"The C load generator printed no result (exit {exitCode}): {process.Error}");
    }
}
