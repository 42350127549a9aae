using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// Compiles a small plugin from C# source into <c>&lt;directory&gt;/&lt;Name&gt;/&lt;Name&gt;.dll</c>, so tests can
/// load plugins with a specific failure (throws, hangs, blocks, answers too much) as real assemblies.
/// </summary>
internal static class TestPluginBuilder
{
    private static readonly Lazy<MetadataReference[]> s_references = new(LoadReferences);

    /// <summary>Builds plugin <paramref name="name"/> from <paramref name="source"/>; returns the DLL path.</summary>
    public static string Build(string directory, string name, string source, string version = "1.0.0")
    {
        var folder = Path.Combine(directory, name);
        Directory.CreateDirectory(folder);
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var versionAttribute = CSharpSyntaxTree.ParseText($"[assembly: System.Reflection.AssemblyInformationalVersion(\"{version}\")]", options);
        var compilation = CSharpCompilation.Create(
            name,
            [CSharpSyntaxTree.ParseText(source, options), versionAttribute],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, optimizationLevel: OptimizationLevel.Release));

        var path = Path.Combine(folder, name + ".dll");
        using (var output = File.Create(path))
        {
            var result = compilation.Emit(output);
            if (!result.Success)
            {
                var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString());
                throw new InvalidOperationException($"Test plugin {name} does not compile:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
            }
        }

        return path;
    }

    /// <summary>A fresh plugins directory holding one plugin built from <paramref name="source"/>.</summary>
    public static string BuildInNewDirectory(string name, string source)
    {
        var directory = TestPaths.NewTempDirectory("pnet-hardening");
        Build(directory, name, source);
        return directory;
    }

    private static MetadataReference[] LoadReferences()
    {
        var platform = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
                || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll");
        return platform
            .Append(TestPaths.AbstractionsDll)
            .Distinct(StringComparer.Ordinal)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();
    }
}
