using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// Follows swapped-out generations until their load context is collected, and tells the operator, once and
/// promptly, about one that is not: a sign that something still references its code.
/// </summary>
/// <remarks>
/// After a swap's drain, a check on the thread pool (never a reactor) induces a few full collections spread over
/// about three seconds (<see cref="CheckDelays"/>): a quiet host would otherwise never collect, and "not collected
/// yet" would look the same as "leaked". Unloading takes two or three collections (the context's scout is
/// finalized, then its allocator is freed), so a well-behaved plugin is gone after the first rounds and the
/// check ends. A generation still running abandoned calls is not counted against: its code is in use, and it is
/// checked again once they end. Each induced collection is one blocking full GC, paid only after a swap.
/// With <see cref="RootPathReports"/> on, a generation found leaking is followed by a root-path report
/// (<see cref="RootPathReport"/>: a heap snapshot and the chain from a GC root to its code), once per plugin version.
/// </remarks>
internal sealed class RetiredGenerations
{
    /// <summary>Waits between the induced collections after a retirement: about 3 s in all.</summary>
    internal static readonly TimeSpan[] CheckDelays =
    [
        TimeSpan.FromMilliseconds(20),
        TimeSpan.FromMilliseconds(100),
        TimeSpan.FromMilliseconds(200),
        TimeSpan.FromMilliseconds(400),
        TimeSpan.FromMilliseconds(800),
        TimeSpan.FromMilliseconds(1500),
    ];

    /// <summary>How often a generation still running abandoned calls is looked at (no collection is induced for it).</summary>
    private static readonly TimeSpan s_whileCallsRun = TimeSpan.FromMilliseconds(500);

    private const int Capacity = 256;

    private readonly Lock _lock = new();
    private readonly List<Entry> _entries = [];
    private Task _check = Task.CompletedTask;
    private bool _checking;
    private readonly HashSet<string> _reportedVersions = new(StringComparer.Ordinal);
    private Task _reporting = Task.CompletedTask;
    private int _leaked;

    /// <summary>
    /// <c>Logic:UnloadReport</c>: whether a leaking generation is followed by a root-path report (a heap snapshot of
    /// the host, analysed off the reactors, then deleted), once per plugin name and version.
    /// </summary>
    internal bool RootPathReports { get; set; }

    /// <summary>Retired generations whose load context has not been collected yet.</summary>
    public int StillLoaded
    {
        get
        {
            lock (_lock)
            {
                _entries.RemoveAll(e => !e.Context.IsAlive);
                return _entries.Count;
            }
        }
    }

    /// <summary>Retired generations reported as not unloading (each is reported once).</summary>
    public int Leaked => Volatile.Read(ref _leaked);

    /// <summary>The collection check in progress, or a completed task: for tests and an orderly stop.</summary>
    internal Task Checking
    {
        get
        {
            lock (_lock)
            {
                return _check;
            }
        }
    }

    /// <summary>The root-path reports under way, or a completed task: for tests and an orderly stop.</summary>
    internal Task Reporting
    {
        get
        {
            lock (_lock)
            {
                return _reporting;
            }
        }
    }

    /// <summary>Follows <paramref name="generation"/> (already disposed); <see cref="Verify"/> starts the check.</summary>
    internal void Add(PluginGeneration generation)
    {
        if (generation.LoadContext.Target is null)
        {
            return;
        }

        lock (_lock)
        {
            _entries.RemoveAll(e => !e.Context.IsAlive);
            if (_entries.Count >= Capacity)
            {
                _entries.RemoveAt(0);
            }

            _entries.Add(new Entry(generation));
        }
    }

    /// <summary>Starts the collection check for the generations retired since the last one, unless it runs already.</summary>
    internal void Verify(ILogger logger)
    {
        lock (_lock)
        {
            if (!_checking && _entries.Any(e => !e.Settled))
            {
                _checking = true;
                _check = Task.Run(() => CheckAsync(logger));
            }
        }
    }

    private async Task CheckAsync(ILogger logger)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_lock)
            {
                var pending = _entries.Where(e => !e.Settled).ToList();
                if (pending.Count == 0)
                {
                    _checking = false;
                    return;
                }

                var now = Stopwatch.GetTimestamp();
                var next = pending.Min(e => e.NextCheckAt);
                wait = next > now ? Stopwatch.GetElapsedTime(now, next) : TimeSpan.Zero;
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }

            Collect();
            List<(Entry Entry, TimeSpan After)>? leaked = null;
            List<(string Generation, TimeSpan After)>? unloaded = null;
            lock (_lock)
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var entry in _entries.Where(e => !e.Settled && e.NextCheckAt <= now).ToList())
                {
                    var after = Stopwatch.GetElapsedTime(entry.RetiredAt, now);
                    if (!entry.Context.IsAlive)
                    {
                        _entries.Remove(entry);
                        (unloaded ??= []).Add((entry.Generation.ToString(), after));
                    }
                    else if (entry.Generation.InFlight > 0)
                    {
                        entry.NextCheckAt = now + (long)(s_whileCallsRun.TotalSeconds * Stopwatch.Frequency);
                    }
                    else if (++entry.Tries >= CheckDelays.Length)
                    {
                        entry.Settled = true;
                        (leaked ??= []).Add((entry, after));
                    }
                    else
                    {
                        entry.NextCheckAt = now + (long)(CheckDelays[entry.Tries].TotalSeconds * Stopwatch.Frequency);
                    }
                }
            }

            foreach (var (generation, after) in unloaded ?? [])
            {
                logger.LogDebug("Plugin {Generation} unloaded {AfterMs:F0} ms after its swap", generation, after.TotalMilliseconds);
            }

            foreach (var (entry, after) in leaked ?? [])
            {
                Interlocked.Increment(ref _leaked);
                logger.LogWarning(
                    "Plugin {Generation} did not unload: still loaded {AfterSeconds:F1} s and {Collections} forced full GCs after its swap, so something outside it still references its code, and every further swap may leak another copy. {Causes} See README \"Unloading: what pins a plugin\". {RootPath}",
                    entry.Generation.Describe(), after.TotalSeconds, CheckDelays.Length, UnloadCauses.Describe(entry.Generation.CachingLibraries),
                    RootPathReports
                        ? "A root-path report follows (Logic:UnloadReport)."
                        : "For the chain from a GC root to it, set Logic:UnloadReport=true and swap again (a heap snapshot: pauses the host while it is written).");
                Report(entry, logger);
            }
        }
    }

    /// <summary>Starts the root-path report of a leaking generation, unless off or done for its plugin version.</summary>
    private void Report(Entry entry, ILogger logger)
    {
        lock (_lock)
        {
            if (!RootPathReports || !_reportedVersions.Add($"{entry.Generation.Name} {entry.Generation.Version}"))
            {
                return;
            }

            var report = ReportAsync(entry.Generation.Describe(), entry.Context, logger);
            _reporting = _reporting.IsCompleted ? report : Task.WhenAll(_reporting, report);
        }
    }

    private static async Task ReportAsync(string generation, WeakReference context, ILogger logger)
    {
        await Task.Yield();
        var report = await RootPathReport.CreateAsync(context).ConfigureAwait(false);
        logger.LogWarning("Plugin {Generation} stays loaded; what holds it (Logic:UnloadReport):{NewLine}{Report:l}", generation, Environment.NewLine, report);
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private sealed class Entry(PluginGeneration generation)
    {
        /// <summary>Disposed: it holds names, counts and the weak handle, nothing of the plugin's.</summary>
        public PluginGeneration Generation { get; } = generation;

        public WeakReference Context { get; } = generation.LoadContext;

        public long RetiredAt { get; } = Stopwatch.GetTimestamp();

        public long NextCheckAt { get; set; } = Stopwatch.GetTimestamp() + (long)(CheckDelays[0].TotalSeconds * Stopwatch.Frequency);

        public int Tries { get; set; }

        /// <summary>Reported as leaked: no more collections are induced for it.</summary>
        public bool Settled { get; set; }
    }
}
