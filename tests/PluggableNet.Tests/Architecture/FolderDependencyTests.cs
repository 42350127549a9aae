using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Architecture;

/// <summary>
/// The folders of <c>src/Host</c> depend on each other one way, as docs/architecture.md draws them:
/// a folder uses only folders below it, never one above, so there is no cycle.
/// </summary>
public sealed partial class FolderDependencyTests
{
    /// <summary>Bottom first. Files directly in <c>src/Host</c> (Program.cs) are the composition root, above all.</summary>
    private static readonly string[] s_layers =
    [
        "Interop", "Framing", "Diagnostics", "Plugins", "Connections", "Transport", "Hosting", "Service", "Cli",
    ];

    private static string SourceRoot => Path.Combine(TestPaths.RepoRoot, "src", "Host");

    [Fact]
    public void EveryFolderIsALayer()
    {
        var unknown = Folders().Where(f => Array.IndexOf(s_layers, f) < 0).ToList();

        Assert.True(unknown.Count == 0, $"folders missing from the layering: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void NoFolderUsesAFolderAboveIt()
    {
        var violations = new List<string>();
        foreach (var file in SourceFiles())
        {
            var folder = FolderOf(file);
            if (folder is null)
            {
                continue;
            }

            var level = Array.IndexOf(s_layers, folder);
            foreach (var used in UsedFolders(File.ReadAllText(file)).Where(u => u != folder))
            {
                if (Array.IndexOf(s_layers, used) > level)
                {
                    violations.Add($"{Path.GetRelativePath(SourceRoot, file)} ({folder}) uses {used}");
                }
            }
        }

        Assert.True(violations.Count == 0, "a folder uses one above it:" + Environment.NewLine + string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void EachFileIsInTheNamespaceOfItsFolder()
    {
        // Program.cs has top-level statements and no namespace: it is the entry point, whatever its folder.
        var wrong = SourceFiles()
            .Where(f => FolderOf(f) is { } folder
                && NamespacePattern().Match(File.ReadAllText(f)) is { Success: true } declared
                && !declared.Groups[1].Value.StartsWith($"PluggableNet.Host.{folder}", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(SourceRoot, f))
            .ToList();

        Assert.True(wrong.Count == 0, "namespace does not match the folder: " + string.Join(", ", wrong));
    }

    /// <summary>Folders named by a using directive, a qualified name, or a name relative to PluggableNet.Host.</summary>
    private static IEnumerable<string> UsedFolders(string source)
    {
        foreach (Match match in FolderReferencePattern().Matches(source))
        {
            var name = match.Groups["qualified"].Success ? match.Groups["qualified"].Value : match.Groups["relative"].Value;
            if (Array.IndexOf(s_layers, name) >= 0)
            {
                yield return name;
            }
        }
    }

    private static IEnumerable<string> Folders() =>
        Directory.GetDirectories(SourceRoot).Select(Path.GetFileName).Where(n => n is not ("bin" or "obj"))!;

    private static IEnumerable<string> SourceFiles() =>
        Folders().SelectMany(f => Directory.GetFiles(Path.Combine(SourceRoot, f), "*.cs", SearchOption.AllDirectories))
            .Concat(Directory.GetFiles(SourceRoot, "*.cs"));

    private static string? FolderOf(string file)
    {
        var relative = Path.GetRelativePath(SourceRoot, file);
        var separator = relative.IndexOf(Path.DirectorySeparatorChar, StringComparison.Ordinal);
        return separator < 0 ? null : relative[..separator];
    }

    [GeneratedRegex(@"PluggableNet\.Host\.(?<qualified>[A-Z][A-Za-z]+)|(?<![\w.])(?<relative>[A-Z][A-Za-z]+)\.[A-Z]\w*")]
    private static partial Regex FolderReferencePattern();

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespacePattern();
}
