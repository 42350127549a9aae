using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.UnitTests.Architecture;

/// <summary>
/// Inside each project the folders depend on each other one way, as docs/architecture.md draws them: a folder uses only
/// folders below it, never one above, so there is no cycle. Between projects the compiler enforces it: the executable
/// (<c>src/Host</c>) references the library (<c>src/Server</c>), never the reverse.
/// </summary>
public sealed partial class FolderDependencyTests
{
    /// <summary>
    /// Bottom first. <c>""</c> is the files directly in the project folder: the library's server object and its
    /// settings sit above the transports and below reload and hosting. The executable has no files outside its folders.
    /// </summary>
    private static readonly Dictionary<string, string[]> s_layers = new()
    {
        ["Server"] = ["Interop", "Framing", "Diagnostics", "Sessions", "Plugins", "Connections", "Transport", "", "Reload", "Hosting"],
        ["Host"] = ["Os", "Configuration", "Control", "Telemetry", "Service", "Upgrade", "Cli"],
    };

    public static TheoryData<string> Projects => new(s_layers.Keys);

    [Theory]
    [MemberData(nameof(Projects))]
    public void EveryFolderIsALayer(string project)
    {
        var unknown = Folders(project).Where(f => Array.IndexOf(s_layers[project], f) < 0).ToList();

        Assert.True(unknown.Count == 0, $"folders of src/{project} missing from the layering: {string.Join(", ", unknown)}");
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void NoFolderUsesAFolderAboveIt(string project)
    {
        var layers = s_layers[project];
        var violations = new List<string>();
        foreach (var file in SourceFiles(project))
        {
            var folder = FolderOf(project, file);
            var level = Array.IndexOf(layers, folder);
            foreach (var used in UsedFolders(project, File.ReadAllText(file)).Where(u => u != folder))
            {
                if (Array.IndexOf(layers, used) > level)
                {
                    violations.Add($"{Path.GetRelativePath(SourceRoot(project), file)} ({Describe(folder)}) uses {Describe(used)}");
                }
            }
        }

        Assert.True(violations.Count == 0, $"a folder of src/{project} uses one above it:" + Environment.NewLine + string.Join(Environment.NewLine, violations));
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void EachFileIsInTheNamespaceOfItsFolder(string project)
    {
        // Program.cs has top-level statements and no namespace: it is the entry point, whatever its folder.
        var wrong = SourceFiles(project)
            .Where(f => NamespacePattern().Match(File.ReadAllText(f)) is { Success: true } declared
                && !IsNamespaceOf(project, FolderOf(project, f), declared.Groups[1].Value))
            .Select(f => Path.GetRelativePath(SourceRoot(project), f))
            .ToList();

        Assert.True(wrong.Count == 0, "namespace does not match the folder: " + string.Join(", ", wrong));
    }

    [Fact]
    public void TheLibraryNeverReferencesTheExecutable()
    {
        var project = File.ReadAllText(Path.Combine(SourceRoot("Server"), "PluggableNet.Server.csproj"));

        Assert.DoesNotContain("Host.csproj", project, StringComparison.Ordinal);
    }

    /// <remarks>
    /// One exception: the library's <c>AddPluggableNet</c> lives in <c>Microsoft.Extensions.DependencyInjection</c>, where
    /// every Microsoft.Extensions registration is, so applications find it without a using.
    /// </remarks>
    private static bool IsNamespaceOf(string project, string folder, string declared) => folder.Length == 0
        ? declared == $"PluggableNet.{project}"
        : declared.StartsWith($"PluggableNet.{project}.{folder}", StringComparison.Ordinal)
            || (project, folder, declared) is ("Server", "Hosting", "Microsoft.Extensions.DependencyInjection");

    private static string Describe(string folder) => folder.Length == 0 ? "the project's root" : folder;

    /// <summary>Folders named by a using directive or a qualified name; <c>""</c> for the project's root namespace.</summary>
    private static IEnumerable<string> UsedFolders(string project, string source)
    {
        var layers = s_layers[project];
        foreach (Match match in FolderReferencePattern().Matches(source))
        {
            if (match.Groups["project"].Value != project)
            {
                continue;
            }

            var name = match.Groups["folder"].Success ? match.Groups["folder"].Value : string.Empty;
            if (Array.IndexOf(layers, name) >= 0)
            {
                yield return name;
            }
        }
    }

    private static string SourceRoot(string project) => Path.Combine(TestPaths.RepoRoot, "src", project);

    private static IEnumerable<string> Folders(string project) =>
        Directory.GetDirectories(SourceRoot(project)).Select(Path.GetFileName).Where(n => n is not ("bin" or "obj"))!;

    private static IEnumerable<string> SourceFiles(string project) =>
        Folders(project).SelectMany(f => Directory.GetFiles(Path.Combine(SourceRoot(project), f), "*.cs", SearchOption.AllDirectories))
            .Concat(Directory.GetFiles(SourceRoot(project), "*.cs"));

    private static string FolderOf(string project, string file)
    {
        var relative = Path.GetRelativePath(SourceRoot(project), file);
        var separator = relative.IndexOf(Path.DirectorySeparatorChar, StringComparison.Ordinal);
        return separator < 0 ? string.Empty : relative[..separator];
    }

    /// <summary><c>using PluggableNet.Server;</c> (the root), <c>PluggableNet.Server.Transport</c> (a folder), and so on.</summary>
    [GeneratedRegex(@"PluggableNet\.(?<project>Server|Host)(?:\.(?<folder>[A-Z][A-Za-z]+))?\b(?!\.[a-z])")]
    private static partial Regex FolderReferencePattern();

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespacePattern();
}
