using System.Diagnostics;

namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>
/// One swap: SIGHUP to the host (it reloads its plugin: a new generation of the same version, every session's state
/// exported by the old one and imported by the new), then the host's "Swapped plugin" line awaited in its output —
/// read from the driver's copy of it, so waiting costs the host nothing — then the aftermath: the host induces blocking
/// full GCs (20 ms, 120 ms, 320 ms, 720 ms … after the swap) until the old generation's load context is collected, and
/// every session waits through each. Status is asked only at the aftermath's end (then every 100 ms until the old
/// generation is gone): a status query drops a collected generation from the host's list, and the host's check, woken
/// later, then induces one more collection it would not have needed, which would stretch what is measured.
/// </summary>
internal static class SwapStep
{
    /// <summary>SIGHUP on Linux.</summary>
    private const int SigHup = 1;

    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(5);

    // The host's error lines for a swap that failed to load, or whose state move was rolled back.
    private static readonly string[] s_failureMarkers = ["rolled back; the old generation keeps serving", "Swap to plugin "];

    private static readonly TimeSpan s_collectPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The swap's figures (latencies filled in later), its window, its aftermath's window (at least
    /// <paramref name="aftermath"/>, until the old generation is collected), and the status after both (null if unread).
    /// </summary>
    public static async Task<(SwapMeasurement Swap, SwapWindow Window, SwapWindow? Aftermath, SwapStatus? After)> RunAsync(
        ServerProcess host, int index, SwapStatus before, TimeSpan aftermath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var generation = before.Generation + 1;
        var started = Stopwatch.GetTimestamp();
        if (NativeMethods.Kill(host.Pid, SigHup) != 0)
        {
            return Failed(index, started, $"kill(SIGHUP) failed, errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }

        var marker = $"(generation {generation.ToString(System.Globalization.CultureInfo.InvariantCulture)}), trigger";
        SwapLogLine? line = null;
        while (line is null)
        {
            var output = host.RecentOutput();
            if (output.Contains(marker, StringComparison.Ordinal))
            {
                line = SwapLogLine.Find(output.Split('\n'), generation);
                break;
            }

            if (host.HasExited)
            {
                return Failed(index, started, "the host exited during the swap: " + output);
            }

            // A run stops at its first failed swap: any failure line in the output is this swap's.
            if (Array.Find(s_failureMarkers, m => output.Contains(m, StringComparison.Ordinal)) is { } failed)
            {
                return Failed(index, started, "the swap failed: " + output.Split('\n').First(l => l.Contains(failed, StringComparison.Ordinal)).Trim());
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                return Failed(index, started, $"no \"Swapped plugin … (generation {generation})\" line within {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(s_poll, cancellationToken).ConfigureAwait(false);
        }

        var window = new SwapWindow(started, Stopwatch.GetTimestamp());
        await Task.Delay(aftermath, cancellationToken).ConfigureAwait(false);
        var after = SwapStatus.TryQuery(host.ControlSocket, timeout);
        while (after is { RetiredGenerationsLoaded: > 0 } && Stopwatch.GetElapsedTime(window.End) < timeout)
        {
            await Task.Delay(s_collectPoll, cancellationToken).ConfigureAwait(false);
            after = SwapStatus.TryQuery(host.ControlSocket, timeout);
        }

        var collecting = new SwapWindow(window.End, Stopwatch.GetTimestamp());
        var collected = after is { RetiredGenerationsLoaded: 0 };
        var migrated = after is not null
            && after.Generation == generation
            && after.Migrations == before.Migrations + 1
            && after.MigrationsRolledBack == before.MigrationsRolledBack;
        var swap = new SwapMeasurement
        {
            Index = index,
            Generation = generation,
            PauseMs = after?.LastMigrationPauseMs,
            SwapMs = line?.TotalMs,
            LoadMs = line?.LoadMs,
            DrainMs = line?.DrainMs,
            WindowMs = ProbeLatencies.Ms(window.End - window.Start),
            AftermathMs = ProbeLatencies.Ms(collecting.End - collecting.Start),
            Collected = collected,
            Migrated = migrated,
            Failure = after is null ? "status did not answer after the swap"
                : line is null ? "the \"Swapped plugin\" line did not parse"
                : !collected ? $"the old generation was still loaded {timeout.TotalSeconds:0} s after the swap"
                : !migrated ? $"status after the swap: generation {after.Generation} (expected {generation}), migrations {before.Migrations} → {after.Migrations}, rolled back {before.MigrationsRolledBack} → {after.MigrationsRolledBack}"
                : null,
        };
        return (swap, window, collecting, after);
    }

    private static (SwapMeasurement, SwapWindow, SwapWindow?, SwapStatus?) Failed(int index, long started, string failure) =>
        (new SwapMeasurement { Index = index, Failure = failure }, new SwapWindow(started, Stopwatch.GetTimestamp()), null, null);
}
