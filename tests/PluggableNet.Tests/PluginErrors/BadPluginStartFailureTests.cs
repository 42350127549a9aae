using Microsoft.CodeAnalysis;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginErrors;

/// <summary>
/// The real host, started on a really compiled bad plugin, exits 3 with one line that names the cause and the fix:
/// no generic-host stack trace, and no list of other plugins when the plugin was found but failed.
/// </summary>
public sealed class BadPluginStartFailureTests : IDisposable
{
    private const string Name = "Bad";

    private const string Plugin = """
        namespace Bad;

        public sealed class Plugin : PluggableNet.ILogicPlugin
        {
            public void Process(System.ReadOnlySpan<byte> request, System.Buffers.IBufferWriter<byte> answer) => System.Buffers.BuffersExtensions.Write(answer, request);
        }
        """;

    private readonly string _plugins = TestPaths.NewTempDirectory("pnet-badplugin");

    private string Folder => Directory.CreateDirectory(Path.Combine(_plugins, Name)).FullName;

    [Fact]
    public async Task AMissingDependencySaysEnableDynamicLoadingAndTheDepsFile()
    {
        var helper = PluginCompiler.CompileLibrary(
            "Helper",
            "namespace Helper { public static class Text { public static string Up(string s) => s.ToUpperInvariant(); } }",
            "[assembly: System.Reflection.AssemblyVersion(\"4.4.0.0\")]");
        const string Source = """
            namespace Bad;

            public sealed class Plugin : PluggableNet.ILogicPlugin
            {
                private readonly string _prefix = Helper.Text.Up("x");

                public void Process(System.ReadOnlySpan<byte> request, System.Buffers.IBufferWriter<byte> answer) => System.Buffers.BuffersExtensions.Write(answer, System.Text.Encoding.UTF8.GetBytes(_prefix));
            }
            """;
        File.WriteAllBytes(Path.Combine(Folder, "Bad.dll"), PluginCompiler.Compile(Name, Source, references: [MetadataReference.CreateFromImage(helper)]));

        var line = await StartFailureLineAsync();

        Assert.Contains("Bad.dll needs Helper 4.4.0.0", line, StringComparison.Ordinal);
        Assert.Contains("no Bad.deps.json", line, StringComparison.Ordinal);
        Assert.Contains("<EnableDynamicLoading>true</EnableDynamicLoading>", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("8.0", "plugins are built for the host's runtime")]
    [InlineData("11.0", "it may use APIs this runtime lacks")]
    public async Task AnotherTargetFrameworkIsNamedWithTheOneToUse(string framework, string why)
    {
        File.WriteAllBytes(
            Path.Combine(Folder, "Bad.dll"),
            PluginCompiler.Compile(Name, Plugin, attributes: $"[assembly: System.Runtime.Versioning.TargetFramework(\".NETCoreApp,Version=v{framework}\")]"));

        var line = await StartFailureLineAsync();

        Assert.Contains($"Bad.dll targets .NET {framework}", line, StringComparison.Ordinal);
        Assert.Contains(why, line, StringComparison.Ordinal);
        Assert.Contains($"<TargetFramework>net{Environment.Version.Major}.0</TargetFramework>", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AShippedCopyOfASharedAssemblyIsRefusedWithTheFix()
    {
        File.WriteAllBytes(Path.Combine(Folder, "Bad.dll"), PluginCompiler.Compile(Name, Plugin));
        File.WriteAllBytes(
            Path.Combine(Folder, "Microsoft.Extensions.Logging.Abstractions.dll"),
            PluginCompiler.CompileLibrary("Microsoft.Extensions.Logging.Abstractions", "namespace Fake { public sealed class Shipped { } }", "[assembly: System.Reflection.AssemblyVersion(\"11.0.0.0\")]"));

        var line = await StartFailureLineAsync();

        Assert.Contains("ships its own Microsoft.Extensions.Logging.Abstractions.dll (11.0.0.0)", line, StringComparison.Ordinal);
        Assert.Contains("ExcludeAssets=runtime", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherMajorContractVersionIsRefusedWithTheVersionToBuildAgainst()
    {
        File.WriteAllBytes(Path.Combine(Folder, "Bad.dll"), PluginCompiler.Compile(Name, Plugin, contract: PluginCompiler.FakeContract(new Version(2, 0, 0, 0))));

        var line = await StartFailureLineAsync();

        Assert.Contains("was built against PluggableNet.Abstractions 2.0.0.0", line, StringComparison.Ordinal);
        Assert.Contains("rebuild the plugin against 1.x", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFolderWithoutAnAssemblySaysWhatItHolds()
    {
        File.WriteAllText(Path.Combine(Folder, "readme.txt"), "the build failed");

        var line = await StartFailureLineAsync();

        Assert.Contains("has no plugin assembly", line, StringComparison.Ordinal);
        Assert.Contains("it holds no DLL at all (did the build fail", line, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_plugins, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    /// <summary>Starts the host on plugin Bad; it must exit 3 with exactly one line about it, and nothing else of note.</summary>
    private async Task<string> StartFailureLineAsync()
    {
        var result = await HostProcess.RunAsync(["run", "--Server:Address=127.0.0.1", "--Server:Port=0", $"--Logic:PluginsPath={_plugins}", $"--Logic:Plugin={Name}"]);

        Assert.True(result.ExitCode == 3, result.ToString());
        var lines = result.All.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines, l => l.Contains("Cannot start:", StringComparison.Ordinal));
        Assert.Contains($"Logic:Plugin '{Name}'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Available plugins", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed to start", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal));
        return line;
    }
}
