using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// The one Roslyn compiler of the tests: builds plugins from C# source, in memory (hot-swap tests write "v1" and
/// "v2" of the same plugin over each other as a developer's rebuild would) or straight into a plugins folder
/// (plugins with a specific failure: throws, hangs, blocks, answers too much). References are the framework's own
/// (the trusted platform assemblies of this process) plus the contract and the two abstractions a plugin's
/// constructor may take.
/// </summary>
internal static class PluginCompiler
{
    private static readonly Lazy<MetadataReference[]> s_framework = new(LoadFramework);
    private static readonly Lazy<MetadataReference> s_contract = new(() => MetadataReference.CreateFromFile(TestPaths.AbstractionsDll));

    /// <summary>
    /// Compiles <paramref name="source"/> into a plugin assembly named <paramref name="assemblyName"/> with the
    /// informational version <paramref name="version"/>. <paramref name="contract"/> replaces the real
    /// PluggableNet.Abstractions (to build against a fake, incompatible one); <paramref name="withContract"/> false
    /// builds a plain library that references no contract at all.
    /// </summary>
    /// <paramref name="references"/> are added (a plugin's own dependencies, such as Newtonsoft.Json);
    /// <paramref name="attributes"/> are more assembly attributes (a target framework, an assembly version).
    public static byte[] Compile(
        string assemblyName,
        string source,
        string version = "1.0.0",
        MetadataReference? contract = null,
        bool withContract = true,
        IEnumerable<MetadataReference>? references = null,
        string attributes = "")
    {
        var assemblyAttributes = $"[assembly: System.Reflection.AssemblyInformationalVersion(\"{version}\")]{attributes}";
        IEnumerable<MetadataReference> all = s_framework.Value.Concat(references ?? []);
        if (withContract)
        {
            all = all.Append(contract ?? s_contract.Value);
        }

        return Emit(assemblyName, [assemblyAttributes, source], all);
    }

    /// <summary>
    /// Builds plugin <paramref name="name"/> from <paramref name="source"/> into
    /// <c>&lt;directory&gt;/&lt;name&gt;/&lt;name&gt;.dll</c>, the layout the host loads; returns the DLL path.
    /// </summary>
    public static string Build(string directory, string name, string source, string version = "1.0.0")
    {
        var folder = Path.Combine(directory, name);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".dll");
        File.WriteAllBytes(path, Compile(name, source, version));
        return path;
    }

    /// <summary>
    /// A temporary plugins directory for the whole test run, holding each of <paramref name="plugins"/>; removed when the
    /// test process exits (best effort: the system cleans its temp folder otherwise).
    /// </summary>
    public static string BuildForTheRun(string prefix, params (string Name, string Source)[] plugins)
    {
        var directory = TestPaths.NewTempDirectory(prefix);
        foreach (var (name, source) in plugins)
        {
            Build(directory, name, source);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the system cleans its temp folder otherwise.
            }
        };
        return directory;
    }

    /// <summary>A new temporary plugins directory holding plugin <paramref name="name"/>; the caller removes it.</summary>
    public static string BuildInNewDirectory(string name, string source)
    {
        var directory = TestPaths.NewTempDirectory("pnet-plugins");
        Build(directory, name, source);
        return directory;
    }

    /// <summary>
    /// A stand-in PluggableNet.Abstractions with assembly version <paramref name="version"/> and an
    /// <c>ILogicPlugin</c> of the same shape: what a plugin built against a future major contract would reference.
    /// </summary>
    public static MetadataReference FakeContract(Version version)
    {
        const string Source = """
            namespace PluggableNet;

            public enum PluginExecution { Inline = 0, Offloaded = 1 }

            public interface ILogicPlugin
            {
                PluginExecution Execution => PluginExecution.Inline;

                void Process(System.ReadOnlySpan<byte> request, System.Buffers.IBufferWriter<byte> answer);
            }
            """;
        var attributes = $"[assembly: System.Reflection.AssemblyVersion(\"{version}\")]";
        return MetadataReference.CreateFromImage(Emit("PluggableNet.Abstractions", [attributes, Source], s_framework.Value));
    }

    /// <summary>Newtonsoft.Json as restored for the tests (in their output folder, never loaded by them): a plugin's own dependency.</summary>
    public static string NewtonsoftDll => Path.Combine(AppContext.BaseDirectory, "Newtonsoft.Json.dll");

    /// <summary>A plain library (no contract) named <paramref name="assemblyName"/>, for a plugin to depend on.</summary>
    public static byte[] CompileLibrary(string assemblyName, string source, string attributes = "") =>
        Emit(assemblyName, [attributes, source], s_framework.Value);

    /// <summary>Compiles <paramref name="sources"/> (one syntax tree each, so assembly attributes stay apart from file-scoped namespaces).</summary>
    private static byte[] Emit(string assemblyName, string[] sources, IEnumerable<MetadataReference> references)
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            assemblyName,
            sources.Select(s => CSharpSyntaxTree.ParseText(s, options)),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable));
        using var output = new MemoryStream();
        var result = compilation.Emit(output);
        if (!result.Success)
        {
            var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString());
            throw new InvalidOperationException($"{assemblyName} does not compile:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
        }

        return output.ToArray();
    }

    private static MetadataReference[] LoadFramework()
    {
        var platform = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
                || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll");

        // The abstractions a plugin constructor may take (shared with the host), never the contract itself.
        return platform
            .Append(typeof(ILogger).Assembly.Location)
            .Append(typeof(IConfiguration).Assembly.Location)
            .Distinct(StringComparer.Ordinal)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();
    }
}
