using System.Diagnostics;
using Microsoft.Diagnostics.Runtime;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// The shortest chain, in a heap snapshot, from a GC root to an object of an <see cref="UnloadTarget"/>'s load
/// context: one breadth-first walk from all roots at once (statics first, so a tie names the field), bounded in
/// objects and time. The context object itself is not a target: the runtime holds it with a strong handle for as
/// long as its loader allocator lives, so it would always be "found" there.
/// </summary>
internal sealed class RootPathFinder(ClrRuntime runtime, UnloadTarget target, int maxObjects, TimeSpan maxTime)
{
    private const string ViaDependentHandle = "dependent handle (a ConditionalWeakTable entry)";

    /// <summary>Each object reached: the one it was reached from (0 for a root), and the root's index or -1.</summary>
    private readonly Dictionary<ulong, (ulong Parent, int Root, bool Dependent)> _seen = [];
    private readonly List<HeapRoot> _roots = [];
    private readonly HashSet<ulong> _loaderAllocators = [];
    private readonly HashSet<ulong> _loaderAllocatorObjects = [];

    /// <summary>How many distinct roots the walk started from.</summary>
    public int Roots => _roots.Count;

    /// <summary>How long enumerating the roots took.</summary>
    public TimeSpan RootsTime { get; private set; }

    /// <summary>How many objects the walk visited.</summary>
    public int Visited { get; private set; }

    /// <summary>The path found, each line a step, or why there is none.</summary>
    public IReadOnlyList<string> Find()
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var table in target.MethodTables)
        {
            if (runtime.GetTypeByMethodTable(table) is { IsCollectible: true, LoaderAllocatorHandle: not 0 } type)
            {
                _loaderAllocators.Add(type.LoaderAllocatorHandle);
                var allocator = runtime.DataTarget.DataReader.ReadPointer(type.LoaderAllocatorHandle);
                if (allocator != 0)
                {
                    _loaderAllocatorObjects.Add(allocator);
                }
            }
        }

        var heap = runtime.Heap;
        var queue = new Queue<ulong>();
        foreach (var root in HeapRoots.Of(runtime))
        {
            if (_seen.TryAdd(root.Object, (0, _roots.Count, false)))
            {
                _roots.Add(root);
                queue.Enqueue(root.Object);
            }
        }

        var dependents = HeapRoots.Dependents(runtime);
        RootsTime = Stopwatch.GetElapsedTime(started);
        var visited = 0;
        while (queue.Count > 0)
        {
            var address = queue.Dequeue();
            var obj = heap.GetObject(address);
            if (!obj.IsValid)
            {
                continue;
            }

            Visited = ++visited;
            if (IsTarget(obj))
            {
                return Describe(address);
            }

            if (visited >= maxObjects || ((visited & 0xFFF) == 0 && Stopwatch.GetElapsedTime(started) > maxTime))
            {
                return [$"Gave up after {visited:N0} objects and {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s (the budget is {maxObjects:N0} objects and {maxTime.TotalSeconds:F0} s) without reaching an object of the plugin's load context from a GC root."];
            }

            // Addresses only: resolving each type's fields costs milliseconds a type, so only the path's are (Describe).
            // Dependent handles from a map made once: ClrMD's own option looks them up per object, far slower.
            foreach (var next in obj.EnumerateReferenceAddresses(carefully: true, considerDependantHandles: false))
            {
                if (next != 0 && _seen.TryAdd(next, (address, -1, false)))
                {
                    queue.Enqueue(next);
                }
            }

            foreach (var next in dependents[address])
            {
                if (_seen.TryAdd(next, (address, -1, true)))
                {
                    queue.Enqueue(next);
                }
            }
        }

        return [$"No chain from a GC root reaches an object of the plugin's load context ({visited:N0} objects walked): it may have been unloading as the snapshot was taken, or is held by a native or COM reference the runtime's handle table does not show."];
    }

    private bool IsTarget(ClrObject obj)
    {
        return _loaderAllocatorObjects.Contains(obj.Address) ||
            (obj.Type is { IsCollectible: true } type && _loaderAllocators.Contains(type.LoaderAllocatorHandle));
    }

    private List<string> Describe(ulong found)
    {
        var chain = new List<(ulong Address, ulong Parent, bool Dependent)>();
        var at = found;
        int root;
        while (true)
        {
            var (parent, rootIndex, dependent) = _seen[at];
            chain.Add((at, parent, dependent));
            if (rootIndex >= 0)
            {
                root = rootIndex;
                break;
            }

            at = parent;
        }

        chain.Reverse();
        var heap = runtime.Heap;
        var lines = new List<string> { $"Root: {_roots[root].Description}" };
        foreach (var (address, parent, dependent) in chain)
        {
            var name = heap.GetObjectType(address)?.Name ?? "?";
            var mark = address == found ? "   <- in the plugin's load context" : string.Empty;
            var via = parent == 0 ? null : dependent ? ViaDependentHandle : Via(heap.GetObject(parent), address);
            lines.Add(via is null ? $"  {name}{mark}" : $"  -> {via}: {name}{mark}");
        }

        return lines;
    }

    /// <summary>How <paramref name="parent"/> refers to <paramref name="child"/>: the field's name, or an array element.</summary>
    private static string Via(ClrObject parent, ulong child)
    {
        foreach (var reference in parent.EnumerateReferencesWithFields(carefully: true, considerDependantHandles: false))
        {
            if (reference.Object.Address != child)
            {
                continue;
            }

            if (reference.IsArrayElement)
            {
                return "array element";
            }

            if (reference.Field is { } field)
            {
                return reference.InnerField is { Field: { } inner } ? $"field {field.Name}.{inner.Name}" : $"field {field.Name}";
            }
        }

        return "reference";
    }
}
