using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// The blocks of <c>docs/writing-plugins.md</c> (each after a <c>&lt;!-- readme-snippet: path --&gt;</c> marker) are built
/// exactly as written against this build's packages, deployed and run in the real host, and are what the template
/// generates: the documentation cannot rot.
/// </summary>
[Collection(KitCollection.Name)]
public sealed partial class ReadmeSnippetTests(KitPackages kit)
{
    [Fact]
    public async Task TheReadmePluginBuildsDeploysAndAnswersInTheHost()
    {
        var snippets = Snippets();
        Assert.Contains("Shout/Shout.csproj", snippets.Keys);
        Assert.Contains("Shout/ShoutPlugin.cs", snippets.Keys);
        var folder = Path.Combine(kit.ReleasedFeedFolder, "readme");
        foreach (var (path, text) in snippets)
        {
            var file = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, text);
        }

        var plugins = kit.NewFolder("plugins");
        await KitPackages.RunAsync(Path.Combine(folder, "Shout"), ["build", $"-p:PluggableNetPluginsPath={plugins}", "-warnaserror"]);

        await using var host = await RunningHost.StartAsync("Sockets", [$"--Logic:PluginsPath={plugins}", "--Logic:Plugin=Shout"]);
        using var client = host.Connect();
        Assert.Equal("HÉLLO!", await client.AskAsync("héllo"));
        Assert.Equal("ÜBER ΑΒΓ 😀!", await client.AskAsync("über αβγ 😀"));
    }

    [Fact]
    public async Task TheReadmeBlocksAreWhatTheTemplateGenerates()
    {
        var project = await kit.NewPluginAsync("Shout");
        foreach (var (path, text) in Snippets())
        {
            var generated = File.ReadAllText(Path.Combine(Path.GetDirectoryName(project)!, path)).ReplaceLineEndings("\n").TrimEnd();
            // The page names the released version; the template names the one it was packed as.
            Assert.Equal(text.TrimEnd(), generated.Replace(kit.Version, "1.0.0", StringComparison.Ordinal));
        }
    }

    private static Dictionary<string, string> Snippets()
    {
        var page = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "writing-plugins.md")).ReplaceLineEndings("\n");
        return SnippetPattern().Matches(page).ToDictionary(m => m.Groups["path"].Value, m => m.Groups["code"].Value + "\n");
    }

    [GeneratedRegex(@"<!-- readme-snippet: (?<path>\S+) -->\n```\w*\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex SnippetPattern();
}
