using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// The documentation never has a user add this clone's packages to the user-wide NuGet configuration: a source written
/// there breaks every restore on the machine (NU1301) once the clone moves. The per-folder route docs/writing-plugins.md
/// gives is run as written, with a temporary HOME, to see where it writes.
/// </summary>
public sealed partial class PackageSourceDocsTests
{
    [Fact]
    public void NoPageAddsAPackageSourceOutsideAFolderConfig()
    {
        var pages = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "docs"), "*.md").Append(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var offending = pages
            .SelectMany(page => File.ReadAllLines(page).Select(line => (Page: Path.GetFileName(page), Line: line)))
            .Where(l => l.Line.Contains("dotnet nuget add source", StringComparison.Ordinal) && !l.Line.Contains("--configfile", StringComparison.Ordinal))
            .ToList();
        Assert.True(offending.Count == 0, "writes the user-wide NuGet configuration: " + string.Join("; ", offending.Select(o => $"{o.Page}: {o.Line.Trim()}")));
    }

    [Fact]
    public async Task TheWritingPluginsPageAddsTheSourceToThePluginFolderOnly()
    {
        var page = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "writing-plugins.md"));
        var lines = page.Split('\n')
            .Where(l => l.StartsWith("dotnet new nugetconfig", StringComparison.Ordinal) || l.StartsWith("dotnet nuget add source", StringComparison.Ordinal))
            .Select(l => CommentPattern().Replace(l, string.Empty))
            .ToList();
        Assert.Equal(2, lines.Count);

        var root = TestPaths.NewTempDirectory("pnet-sources");
        try
        {
            var home = Path.Combine(root, "home");
            var plugin = Path.Combine(root, "Shout");
            Directory.CreateDirectory(home);
            Directory.CreateDirectory(plugin);
            foreach (var line in lines)
            {
                await using var bash = ChildProcess.Start(
                    "bash",
                    ["-c", line],
                    [.. KitPackages.CleanEnvironment(), new("HOME", home), new("DOTNET_CLI_HOME", home), new("repo", Path.Combine(root, "clone"))],
                    plugin);
                var exitCode = await bash.WaitForExitAsync(TimeSpan.FromMinutes(2));
                Assert.True(exitCode == 0, $"{line}: exit {exitCode}: {bash.Output}{bash.Error}");
            }

            var packages = Path.Combine(root, "clone", "artifacts", "packages");
            Assert.Contains(packages, File.ReadAllText(Path.Combine(plugin, "nuget.config")), StringComparison.Ordinal);
            foreach (var file in Directory.EnumerateFiles(home, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".config", StringComparison.OrdinalIgnoreCase)))
            {
                Assert.DoesNotContain(packages, File.ReadAllText(file), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [GeneratedRegex(@"\s+#.*$")]
    private static partial Regex CommentPattern();
}
