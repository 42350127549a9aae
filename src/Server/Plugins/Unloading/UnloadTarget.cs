using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// How to recognise a load context in a heap snapshot, read while it is alive and holding nothing of it: the
/// method tables of a few of its types (their loader allocator marks every object of the context), and its
/// assemblies' names to say which it is. Holding a reference during the snapshot would itself be the root found.
/// </summary>
internal sealed record UnloadTarget(IReadOnlyList<ulong> MethodTables, IReadOnlyList<string> Assemblies)
{
    private const int MaxMethodTables = 8;

    /// <summary>The target of the load context <paramref name="context"/> refers to; null when it is already collected.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static UnloadTarget? Of(WeakReference context) =>
        context.Target is AssemblyLoadContext alc ? Of(alc) : null;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static UnloadTarget Of(AssemblyLoadContext context)
    {
        var tables = new List<ulong>();
        var names = new List<string>();
        foreach (var assembly in context.Assemblies)
        {
            names.Add(assembly.GetName().Name ?? assembly.FullName ?? "?");
            foreach (var type in LoadableTypes(assembly))
            {
                if (tables.Count < MaxMethodTables && !type.IsGenericTypeDefinition && !type.IsInterface)
                {
                    tables.Add((ulong)type.TypeHandle.Value);
                }
            }
        }

        return new UnloadTarget(tables, names);
    }

    private static Type[] LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException partial)
        {
            return partial.Types.Where(t => t is not null).ToArray()!;
        }
    }
}
