using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Diagnostics.Runtime;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// Says why a load context is still alive: takes a heap snapshot of this process (<see cref="HeapSnapshot"/>), finds
/// the shortest chain from a GC root to one of the context's objects (<see cref="RootPathFinder"/>) off the calling
/// thread, deletes the snapshot, and returns the chain as text with what it cost. One report at a time per process:
/// each snapshot pauses the whole process.
/// </summary>
internal static class RootPathReport
{
    /// <summary>
    /// How many objects the walk may visit before it gives up: about 32 bytes of bookkeeping each, so at most some
    /// 200 MB; the path to a leak is usually found within the first thousands.
    /// </summary>
    public const int MaxObjects = 5_000_000;

    /// <summary>How long the walk may take before it gives up.</summary>
    public static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(60);

    private static readonly SemaphoreSlim s_oneAtATime = new(1, 1);

    /// <summary>
    /// The report for the load context <paramref name="context"/> refers to (a weak reference: the report must hold
    /// nothing of it), or why there is none. Never throws but for cancellation.
    /// </summary>
    public static async Task<string> CreateAsync(WeakReference context, CancellationToken cancellationToken = default)
    {
        var target = UnloadTarget.Of(context);
        if (target is null)
        {
            return "No root-path report: the load context was collected before the snapshot.";
        }

        await s_oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            HeapSnapshot snapshot;
            try
            {
                snapshot = await HeapSnapshot.TakeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return $"No root-path report: the heap snapshot failed ({exception.GetType().Name}: {exception.Message}). It needs the diagnostics port (DOTNET_EnableDiagnostics not 0) and the runtime's createdump beside libcoreclr.so.";
            }

            string report;
            using (snapshot)
            {
                // ClrMD's walk is long and synchronous: on a thread of its own, never a reactor or a pool thread for minutes.
                report = await Task.Factory.StartNew(() => Analyse(snapshot, target), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            }

            return report + (snapshot.Deleted ? "; snapshot deleted." : $"; the snapshot could not be deleted: {snapshot.Path}.");
        }
        finally
        {
            s_oneAtATime.Release();
        }
    }

    /// <summary>
    /// The data access library of the runtime this process runs on, which is the one in the snapshot: ClrMD does not
    /// look beside the runtime by itself, and downloads none on Linux. A dump with the heap but no module images does
    /// not carry the runtime's version (ClrMD reads 0.0), hence no version check: it is this process's own runtime.
    /// </summary>
    private static string DacPath() =>
        Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), OperatingSystem.IsWindows() ? "mscordaccore.dll" : OperatingSystem.IsMacOS() ? "libmscordaccore.dylib" : "libmscordaccore.so");

    private static string Analyse(HeapSnapshot snapshot, UnloadTarget target)
    {
        var started = Stopwatch.GetTimestamp();
        var text = new StringBuilder()
            .AppendLine($"Root path to the load context of {string.Join(", ", target.Assemblies)} (shortest chain from a GC root to one of its objects):");
        RootPathFinder? finder = null;
        var loaded = TimeSpan.Zero;
        try
        {
            using var dump = DataTarget.LoadDump(snapshot.Path);
            using var runtime = dump.ClrVersions.Single().CreateRuntime(DacPath(), ignoreMismatch: true);
            loaded = Stopwatch.GetElapsedTime(started);
            finder = new RootPathFinder(runtime, target, MaxObjects, MaxTime);
            foreach (var line in finder.Find())
            {
                text.AppendLine(line);
            }
        }
        catch (Exception exception)
        {
            text.AppendLine($"The snapshot could not be read ({exception.GetType().Name}: {exception.Message}).");
        }

        return text
            .Append($"Snapshot: {snapshot.Bytes / (1024 * 1024):N0} MiB written in {snapshot.Writing.TotalMilliseconds:F0} ms, process paused {snapshot.LongestPause.TotalMilliseconds:F0} ms at most; ")
            .Append($"analysis {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms (opening {loaded.TotalMilliseconds:F0} ms, {finder?.Roots ?? 0:N0} roots in {finder?.RootsTime.TotalMilliseconds ?? 0:F0} ms, {finder?.Visited ?? 0:N0} objects walked)")
            .ToString();
    }
}
