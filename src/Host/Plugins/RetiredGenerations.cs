using Microsoft.Extensions.Logging;

namespace PluggableNet.Host.Plugins;

/// <summary>
/// Remembers the load contexts of swapped-out generations by weak reference, to tell an operator when one
/// stays loaded long after its swap: a sign that something (usually the plugin itself) still references its code.
/// </summary>
/// <remarks>
/// Never forces a collection: it only looks after full collections that happened anyway, so it costs nothing.
/// </remarks>
public sealed class RetiredGenerations
{
    // Unloading takes a few full collections (the context is finalized, then its allocator); five is generous.
    private const int FullCollectionsBeforeWarning = 5;
    private const int Capacity = 256;

    private readonly Lock _lock = new();
    private readonly List<Entry> _entries = [];

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

            _entries.Add(new Entry(generation.ToString(), generation.LoadContext, GC.CollectionCount(2)));
        }
    }

    /// <summary>Logs (once each) the retired generations still loaded after several full collections.</summary>
    internal void Check(ILogger logger)
    {
        var collections = GC.CollectionCount(2);
        List<string>? suspects = null;
        lock (_lock)
        {
            _entries.RemoveAll(e => !e.Context.IsAlive);
            foreach (var entry in _entries)
            {
                if (!entry.Reported && collections - entry.FullCollectionsAtRetirement >= FullCollectionsBeforeWarning)
                {
                    entry.Reported = true;
                    (suspects ??= []).Add(entry.Description);
                }
            }
        }

        foreach (var suspect in suspects ?? [])
        {
            logger.LogWarning(
                "Plugin {Generation} is still loaded {Collections}+ full GCs after it was swapped out: something keeps a reference to its code (a static cache holding host objects, a thread or timer not stopped on Dispose, an event subscription)",
                suspect, FullCollectionsBeforeWarning);
        }
    }

    private sealed class Entry(string description, WeakReference context, int fullCollections)
    {
        public string Description { get; } = description;

        public WeakReference Context { get; } = context;

        public int FullCollectionsAtRetirement { get; } = fullCollections;

        public bool Reported { get; set; }
    }
}
