using System.Runtime.Loader;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// What typically keeps a swapped-out plugin loaded, for the warning that says it did not unload: the caching
/// libraries it used (found from its assemblies' references), then the causes that apply to any plugin.
/// </summary>
internal static class UnloadCauses
{
    private static readonly (string Assembly, string Cause)[] s_cachingLibraries =
    [
        ("System.Text.Json", "System.Text.Json reflection serialization (contracts cached per type in JsonSerializerOptions; the host clears the shared caches at retirement, not options kept in shared or host state; a source-generated JsonSerializerContext caches nothing outside the plugin)"),
        ("Newtonsoft.Json", "Newtonsoft.Json (asks TypeDescriptor for converters, and TypeDescriptor keeps every type it saw; the host removes them at retirement on .NET 10)"),
        ("System.ComponentModel.TypeConverter", "TypeDescriptor / TypeConverter (keeps every type it was asked about)"),
        ("System.Linq.Expressions", "compiled expression trees (System.Linq.Expressions caches parameters of the methods it calls)"),
        ("System.Private.Xml", "XmlSerializer (caches a generated serializer per type for the life of the process)"),
        ("System.Xml.XmlSerializer", "XmlSerializer (caches a generated serializer per type for the life of the process)"),
        ("System.Runtime.Serialization.Xml", "DataContractSerializer (caches contracts per type)"),
    ];

    private const string Always =
        "a thread, timer or task it started that still runs (stop them in Dispose/DisposeAsync); " +
        "an event handler it added to a static or host object (AppDomain, AssemblyLoadContext, Console, static events of shared libraries); " +
        "an object of its own stored in a static field of a shared or host assembly";

    /// <summary>The caching libraries the assemblies of <paramref name="context"/> are or reference, as causes to name.</summary>
    public static IReadOnlyList<string> CachingLibrariesUsedBy(AssemblyLoadContext context)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var assembly in context.Assemblies)
        {
            names.Add(assembly.GetName().Name ?? string.Empty);
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                names.Add(reference.Name ?? string.Empty);
            }
        }

        return s_cachingLibraries.Where(l => names.Contains(l.Assembly)).Select(l => l.Cause).Distinct().ToList();
    }

    /// <summary>"Likely causes: …" for a generation that used <paramref name="libraries"/>.</summary>
    public static string Describe(IReadOnlyList<string> libraries) =>
        libraries.Count == 0
            ? $"Likely causes: {Always}."
            : $"Likely causes: {string.Join("; ", libraries)}; else {Always}.";
}
