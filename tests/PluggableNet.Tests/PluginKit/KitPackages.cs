using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// The plugin author's packages (PluggableNet.Abstractions, PluggableNet.Testing, PluggableNet.Templates), packed
/// once per test run from this build into a temporary feed, with the template installed into a private template
/// hive: what a plugin author gets from <c>dotnet cake --target=Pack</c>, without touching the machine's own setup.
/// </summary>
/// <remarks>
/// Every run packs a version of its own (<c>1.0.0-test.&lt;id&gt;</c>) and restores into its own packages folder
/// (the machine's NuGet cache is only a read-only fallback), so a package from an earlier run can never stand in for
/// this build's.
/// </remarks>
public sealed class KitPackages : IAsyncLifetime
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromMinutes(4);

    private static readonly string[] s_packed =
    [
        "src/Abstractions/PluggableNet.Abstractions.csproj",
        "src/Protocol/PluggableNet.Protocol.csproj",
        "src/Server/PluggableNet.Server.csproj",
        "src/Testing/PluggableNet.Testing.csproj",
        "templates/PluggableNet.Templates.csproj",
    ];

    public string Root { get; } = TestPaths.NewTempDirectory("pnet-kit");

    public string Version { get; } = $"1.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    public string Feed => Path.Combine(Root, "feed");

    private string Hive => Path.Combine(Root, "template-hive");

    /// <summary>
    /// A folder outside <see cref="Root"/> whose NuGet.config sees PluggableNet.Abstractions packed at its released
    /// version (what docs/writing-plugins.md names) and nothing cached: no package from an earlier build can stand in for it.
    /// </summary>
    public string ReleasedFeedFolder { get; } = TestPaths.NewTempDirectory("pnet-kit-released");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        foreach (var project in s_packed)
        {
            await RunAsync(TestPaths.RepoRoot, ["pack", Path.Combine(TestPaths.RepoRoot, project), "-c", TestPaths.Configuration, "--no-build", "-o", Feed, $"-p:Version={Version}"]);
        }

        WriteNuGetConfig(Root, Feed, $"""<add key="machine" value="{MachinePackages()}" />""");
        var released = Path.Combine(ReleasedFeedFolder, "feed");
        await RunAsync(TestPaths.RepoRoot, ["pack", Path.Combine(TestPaths.RepoRoot, s_packed[0]), "-c", TestPaths.Configuration, "--no-build", "-o", released]);
        WriteNuGetConfig(ReleasedFeedFolder, released, "<clear />");
        await RunAsync(Root, ["new", "install", Path.Combine(Feed, $"PluggableNet.Templates.{Version}.nupkg"), "--debug:custom-hive", Hive]);
    }

    /// <summary>
    /// A NuGet.config in <paramref name="folder"/>: its own packages folder (nothing restored before leaks in), the
    /// local <paramref name="feed"/> first and nuget.org, with <paramref name="fallback"/> as its fallback folders.
    /// </summary>
    private static void WriteNuGetConfig(string folder, string feed, string fallback) =>
        File.WriteAllText(Path.Combine(folder, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(folder, "packages")}" />
              </config>
              <fallbackPackageFolders>
                {fallback}
              </fallbackPackageFolders>
              <packageSources>
                <clear />
                <add key="pluggablenet" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);

    public Task DisposeAsync()
    {
        foreach (var folder in new[] { Root, ReleasedFeedFolder })
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind is harmless.
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>A new empty folder under <see cref="Root"/>, so the feed's NuGet.config applies to whatever is built in it.</summary>
    public string NewFolder(string name)
    {
        var path = Path.Combine(Root, $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Runs <c>dotnet new pluggablenet-plugin -n <paramref name="name"/> <paramref name="options"/></c> in a new folder; returns the project's folder.</summary>
    public async Task<string> NewPluginAsync(string name, params string[] options)
    {
        var folder = NewFolder(name);
        await RunAsync(folder, ["new", "pluggablenet-plugin", "-n", name, "--debug:custom-hive", Hive, .. options]);
        return Path.Combine(folder, name);
    }

    /// <summary>Runs <c>dotnet <paramref name="arguments"/></c> and requires exit code 0.</summary>
    public static async Task<string> RunAsync(string workingDirectory, IEnumerable<string> arguments)
    {
        var (exitCode, output) = await TryRunAsync(workingDirectory, arguments);
        Assert.True(exitCode == 0, $"dotnet {string.Join(' ', arguments)} failed with exit code {exitCode}:{Environment.NewLine}{output}");
        return output;
    }

    /// <summary>Runs <c>dotnet <paramref name="arguments"/></c> with no build servers left behind; returns the exit code and all output.</summary>
    public static async Task<(int ExitCode, string Output)> TryRunAsync(string workingDirectory, IEnumerable<string> arguments)
    {
        List<string> all = [.. arguments];
        if (all[0] is "build" or "test" or "pack")
        {
            // Nothing may outlive the test: no MSBuild nodes, no compiler server.
            all.Insert(1, "--disable-build-servers");
        }

        await using var process = ChildProcess.Start(ChildProcess.Dotnet, all, CleanEnvironment(), workingDirectory, deadline: s_commandTimeout + TimeSpan.FromMinutes(1));
        var exitCode = await process.WaitForExitAsync(s_commandTimeout);
        return (exitCode, process.Output + process.Error);
    }

    // The test host runs under `dotnet test`: its MSBuild variables must not leak into the builds started here.
    internal static IEnumerable<KeyValuePair<string, string?>> CleanEnvironment() =>
    [
        new("MSBuildExtensionsPath", null),
        new("MSBuildSDKsPath", null),
        new("MSBUILD_EXE_PATH", null),
        new("MSBuildLoadMicrosoftTargetsReadOnly", null),
        new("PLUGGABLENET_PLUGINS_PATH", null),
        new("DOTNET_CLI_TELEMETRY_OPTOUT", "1"),
        new("DOTNET_NOLOGO", "1"),
        new("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "1"),
        new("MSBUILDDISABLENODEREUSE", "1"),
    ];

    internal static string MachinePackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}

/// <summary>The plugin kit tests share one packing of the packages.</summary>
[CollectionDefinition(Name)]
public sealed class KitCollection : ICollectionFixture<KitPackages>
{
    public const string Name = "Plugin kit packages";
}
