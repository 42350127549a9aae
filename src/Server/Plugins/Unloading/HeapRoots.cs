using Microsoft.Diagnostics.Runtime;

namespace PluggableNet.Server.Plugins;

/// <summary>One GC root of a snapshot: the object it holds and how to say what holds it.</summary>
internal readonly record struct HeapRoot(ulong Object, string Description);

/// <summary>
/// The GC roots of a snapshot, most telling first: static fields by declaring type and name (on .NET 9+ they live in
/// a pinned object[] under one strong handle, which would otherwise be all a report could say), then strong GC
/// handles by kind, thread stacks by managed thread, the finalizer queue, and what ClrMD finds besides.
/// </summary>
internal static class HeapRoots
{
    public static IEnumerable<HeapRoot> Of(ClrRuntime runtime)
    {
        var domain = runtime.AppDomains.FirstOrDefault();
        if (domain is not null)
        {
            foreach (var root in Statics(runtime, domain))
            {
                yield return root;
            }
        }

        var threadNames = new Dictionary<int, string>();
        foreach (var handle in runtime.EnumerateHandles())
        {
            if (IsStrong(handle) && !handle.Object.IsNull)
            {
                RememberThreadName(handle.Object, threadNames);
                yield return new HeapRoot(handle.Object.Address, $"GC handle ({handle.HandleKind}), as GCHandle.Alloc or the runtime keeps one");
            }
        }

        foreach (var thread in runtime.Threads)
        {
            var name = threadNames.TryGetValue(thread.ManagedThreadId, out var known) ? $" \"{known}\"" : string.Empty;
            var who = $"thread stack: managed thread {thread.ManagedThreadId}{name} (OS thread {thread.OSThreadId}{(thread.IsFinalizer ? ", the finalizer thread" : string.Empty)})";
            var frame = TopFrame(thread);
            foreach (var root in thread.EnumerateStackRoots())
            {
                if (!root.Object.IsNull)
                {
                    yield return new HeapRoot(root.Object.Address, frame is null ? who : $"{who}, in {frame}");
                }
            }
        }

        foreach (var root in runtime.Heap.EnumerateFinalizerRoots())
        {
            yield return new HeapRoot(root.Object.Address, "finalizer queue: an object waiting for its finalizer to run");
        }

        foreach (var root in runtime.Heap.EnumerateAdditionalRoots())
        {
            if (!root.Object.IsNull)
            {
                yield return new HeapRoot(root.Object.Address, root.RootKind == ClrRootKind.ThreadStaticVar ? "thread static variable" : $"{root.RootKind}");
            }
        }
    }

    /// <summary>
    /// The handle kinds that root their object. Not ClrMD's IsStrong: it counts kinds it does not know as strong, such
    /// as .NET 9+'s weak interior-pointer handles (kind 10), which hold a collectible type's RuntimeType weakly.
    /// </summary>
    private static bool IsStrong(ClrHandle handle) => handle.HandleKind switch
    {
        ClrHandleKind.Strong or ClrHandleKind.Pinned or ClrHandleKind.AsyncPinned or ClrHandleKind.SizedRef => true,
        ClrHandleKind.RefCounted => handle.ReferenceCount > 0,
        _ => false,
    };

    /// <summary>Each dependent handle's primary object and the object it keeps alive (a ConditionalWeakTable entry).</summary>
    public static ILookup<ulong, ulong> Dependents(ClrRuntime runtime) =>
        runtime.EnumerateHandles()
            .Where(h => h.HandleKind == ClrHandleKind.Dependent && !h.Object.IsNull && !h.Dependent.IsNull)
            .ToLookup(h => h.Object.Address, h => h.Dependent.Address);

    private static IEnumerable<HeapRoot> Statics(ClrRuntime runtime, ClrAppDomain domain)
    {
        foreach (var module in runtime.EnumerateModules())
        {
            foreach (var type in module.EnumerateTypesWithStaticFields())
            {
                // A collectible type's statics are held by its own loader allocator: not a root.
                if (type.IsCollectible)
                {
                    continue;
                }

                foreach (var field in type.StaticFields)
                {
                    if (!field.IsObjectReference || !field.IsInitialized(domain))
                    {
                        continue;
                    }

                    var value = field.ReadObject(domain);
                    if (!value.IsNull && value.IsValid)
                    {
                        yield return new HeapRoot(value.Address, $"static field {type.Name}.{field.Name}");
                    }
                }
            }
        }
    }

    private static void RememberThreadName(ClrObject obj, Dictionary<int, string> names)
    {
        if (obj.Type?.Name != "System.Threading.Thread")
        {
            return;
        }

        var name = obj.ReadStringField("_name");
        if (name is not null)
        {
            names[obj.ReadField<int>("_managedThreadId")] = name;
        }
    }

    /// <summary>The innermost managed frame with a method, to say where the thread is waiting.</summary>
    private static string? TopFrame(ClrThread thread)
    {
        foreach (var frame in thread.EnumerateStackTrace(includeContext: false, maxFrames: 64))
        {
            if (frame.Method is { Type.Name: { } type } method && !type.StartsWith("System.", StringComparison.Ordinal))
            {
                return $"{type}.{method.Name}";
            }
        }

        return null;
    }
}
