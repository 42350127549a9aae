using System.Collections;
using System.ComponentModel;
using System.Reflection;
using System.Reflection.Metadata;
using System.Runtime.Loader;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// Makes the host's (shared) libraries forget a retired plugin's types, so that their caches do not keep its load
/// context alive: the one thing a well-behaved plugin cannot do for itself.
/// </summary>
/// <remarks>
/// Measured on .NET 10: a plugin that serialises its own types with System.Text.Json's reflection serializer is
/// pinned by <c>JsonSerializerOptions.Default</c>'s type cache; one that uses Newtonsoft.Json is pinned by
/// <see cref="TypeDescriptor"/>'s type tables (Newtonsoft asks it for type converters). Both libraries live in the
/// default context, so neither cache dies with the plugin. Two steps, both off the request path (at retirement):
/// <list type="number">
/// <item>Every <see cref="MetadataUpdateHandlerAttribute"/> handler of the shared assemblies gets
/// <c>ClearCache(types)</c> — the documented hook hot reload uses to tell libraries that types changed. This clears
/// System.Text.Json's caches (it clears them all; the serving generation refills its own on next use) and
/// TypeDescriptor's reflection caches.</item>
/// <item>TypeDescriptor's type-keyed tables, which its handler leaves in place on .NET 10 (dotnet/runtime#30656,
/// fixed after 10.0), have the retired types removed by reflection. Where a runtime lays them out otherwise the step
/// does nothing, and the unload check reports the plugin (naming TypeDescriptor) instead.</item>
/// </list>
/// </remarks>
internal static class SharedCaches
{
    private const BindingFlags Static = BindingFlags.Static | BindingFlags.NonPublic;
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic;

    /// <summary>Clears what shared libraries cache about the types of <paramref name="context"/>. Never throws.</summary>
    /// <returns>How many TypeDescriptor entries referred to the context's types.</returns>
    public static int Forget(AssemblyLoadContext context)
    {
        var types = context.Assemblies.SelectMany(LoadableTypes).ToArray();
        InvokeClearCacheHandlers(types);
        return ForgetInTypeDescriptor(context);
    }

    /// <summary>Calls <c>ClearCache(Type[])</c> of every metadata update handler in a non-collectible assembly.</summary>
    private static void InvokeClearCacheHandlers(Type[] types)
    {
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.IsCollectible || assembly.IsDynamic)
            {
                continue;
            }

            IEnumerable<MetadataUpdateHandlerAttribute> handlers;
            try
            {
                handlers = assembly.GetCustomAttributes<MetadataUpdateHandlerAttribute>();
            }
            catch (Exception exception) when (exception is TypeLoadException or FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                continue;
            }

            foreach (var handler in handlers)
            {
                var clear = handler.HandlerType.GetMethod("ClearCache", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [typeof(Type[])]);
                try
                {
                    clear?.Invoke(null, [types]);
                }
                catch (TargetInvocationException)
                {
                    // A library's own hook failed: its cache stays, and the unload check reports what remains loaded.
                }
            }
        }
    }

    private static int ForgetInTypeDescriptor(AssemblyLoadContext context)
    {
        var descriptor = typeof(TypeDescriptor);
        var removed = 0;
        try
        {
            var sync = descriptor.GetField("s_commonSyncObject", Static)?.GetValue(null) ?? new object();
            var providers = new HashSet<object>(ReferenceEqualityComparer.Instance);
            lock (sync)
            {
                foreach (var name in (string[])["s_providerTypeTable", "s_defaultProviderInitialized"])
                {
                    if (descriptor.GetField(name, Static)?.GetValue(null) is IDictionary table)
                    {
                        CollectReflectProviders(table.Values, providers);
                        removed += RemoveTypesOf(context, table);
                    }
                }

                if (descriptor.GetField("s_providerTable", Static)?.GetValue(null) is IDictionary weakTable)
                {
                    lock (weakTable)
                    {
                        CollectReflectProviders(weakTable.Values, providers);
                    }
                }

                foreach (var provider in providers)
                {
                    if (provider.GetType().GetField("_typeData", Instance)?.GetValue(provider) is IDictionary typeData)
                    {
                        removed += RemoveTypesOf(context, typeData);
                    }
                }
            }
        }
        catch (Exception exception) when (exception is InvalidCastException or TargetException or FieldAccessException or InvalidOperationException)
        {
            // A layout this code does not know: nothing removed, and the unload check says so if it matters.
        }

        return removed;
    }

    /// <summary>The ReflectTypeDescriptionProvider instances at the ends of TypeDescriptor's provider chains.</summary>
    private static void CollectReflectProviders(ICollection nodes, HashSet<object> providers)
    {
        foreach (var value in nodes)
        {
            var node = value;
            for (var depth = 0; node is TypeDescriptionProvider && depth < 64; depth++)
            {
                var type = node.GetType();
                var provider = type.GetField("Provider", Instance | BindingFlags.Public)?.GetValue(node);
                if (provider is TypeDescriptionProvider && provider.GetType().Name == "ReflectTypeDescriptionProvider")
                {
                    providers.Add(provider);
                }

                node = type.GetField("Next", Instance | BindingFlags.Public)?.GetValue(node);
            }
        }
    }

    private static int RemoveTypesOf(AssemblyLoadContext context, IDictionary table)
    {
        var doomed = new List<object>();
        foreach (var key in table.Keys)
        {
            if (key is Type { Assembly.IsCollectible: true } type && AssemblyLoadContext.GetLoadContext(type.Assembly) == context)
            {
                doomed.Add(key);
            }
        }

        foreach (var key in doomed)
        {
            table.Remove(key);
        }

        return doomed.Count;
    }

    private static Type[] LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException exception)
        {
            return exception.Types.OfType<Type>().ToArray();
        }
        catch (Exception exception) when (exception is TypeLoadException or FileNotFoundException or FileLoadException)
        {
            return [];
        }
    }
}
