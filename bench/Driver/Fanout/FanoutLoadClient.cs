using System.Globalization;

namespace PluggableNet.Bench.Driver.Fanout;

/// <summary>What one run of the fan-out load generator printed.</summary>
/// <param name="ExitCode">0 only when every receiver got every message.</param>
/// <param name="RegisterSeconds">Connecting and registering every connection, or null when it did not finish.</param>
/// <param name="IdleSeconds">The idle window's length, or null when there was none.</param>
/// <param name="Phases">The measured phases that finished, in order.</param>
/// <param name="Error">Its standard error (why it failed).</param>
internal sealed record FanoutOutcome(int ExitCode, double? RegisterSeconds, double? IdleSeconds, IReadOnlyList<FanoutPhase> Phases, string Error);

/// <summary>
/// Runs bench/Baselines/C/fanout.c with <c>-S</c>: at each "measuring PHASE" and "measured PHASE" line it waits, and
/// the driver samples the server (CPU, allocated bytes) before it signals SIGUSR1, so the window's edges are exact.
/// </summary>
internal sealed class FanoutLoadClient(string executable)
{
    public async Task<FanoutOutcome> RunAsync(int port, FanoutOptions options, Action<string, bool> onEdge, CancellationToken cancellationToken)
    {
        string[] arguments =
        [
            "-p", port.ToString(CultureInfo.InvariantCulture),
            "-c", options.Connections.ToString(CultureInfo.InvariantCulture),
            "-m", options.Messages.ToString(CultureInfo.InvariantCulture),
            "-s", options.PayloadBytes.ToString(CultureInfo.InvariantCulture),
            "-w", options.WarmupMessages.ToString(CultureInfo.InvariantCulture),
            "-x", string.Join(',', options.Phases),
            "-T", options.ClientThreads.ToString(CultureInfo.InvariantCulture),
            "-t", options.PhaseTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            "-i", options.IdleSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            "-S",
        ];
        var pid = 0;

        void OnLine(string line, bool isError)
        {
            var start = line.StartsWith("measuring ", StringComparison.Ordinal);
            if (isError || (!start && !line.StartsWith("measured ", StringComparison.Ordinal)))
            {
                return;
            }

            // Called on the output reader while the load generator waits: sample, then let it go on.
            onEdge(line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..], start);
            SpinWait.SpinUntil(() => Volatile.Read(ref pid) != 0, TimeSpan.FromSeconds(5));
            _ = NativeMethods.Kill(Volatile.Read(ref pid), NativeMethods.SigUsr1);
        }

        // Registration, the two warm-ups and each phase have the phase timeout; a minute more for starting and closing.
        var limit = (options.PhaseTimeout * (options.Phases.Count + 3)) + TimeSpan.FromSeconds(options.IdleSeconds) + TimeSpan.FromMinutes(1);
        await using var process = ChildProcess.Start(executable, arguments, onLine: OnLine, deadline: limit);
        Volatile.Write(ref pid, process.Id);
        var exitCode = await process.WaitForExitAsync(limit, cancellationToken).ConfigureAwait(false);
        double? register = null, idle = null;
        var phases = new List<FanoutPhase>();
        foreach (var line in process.Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('{')))
        {
            var phase = FanoutPhase.FromJson(line);
            if (phase?.Phase == "register")
            {
                register = phase.Seconds;
            }
            else if (phase?.Phase == FanoutRun.IdlePhase)
            {
                idle = phase.Seconds;
            }
            else if (phase is not null)
            {
                phases.Add(phase);
            }
        }

        return new FanoutOutcome(exitCode, register, idle, phases, process.Error.Trim());
    }
}
