using PluggableNet.Tests.Cli;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

/// <summary>Issue 10, point 12: <c>Logic:Plugin</c> names a folder in <c>Logic:PluginsPath</c>; it is never a path to code elsewhere.</summary>
public sealed class PluginNameConfinementTests : IDisposable
{
    private readonly string _directory = TestPaths.NewTempDirectory("pnet-confine");

    public PluginNameConfinementTests()
    {
        // The plugins folder holds Reverse; "elsewhere" holds code that must never be loaded through Logic:Plugin.
        CopyDirectory(Path.Combine(TestPaths.BundledPlugins, "Reverse"), Path.Combine(PluginsPath, "Reverse"));
        CopyDirectory(Path.Combine(TestPaths.BundledPlugins, "Upper"), Path.Combine(_directory, "elsewhere", "Upper"));
    }

    private string PluginsPath => Path.Combine(_directory, "plugins");

    private string Elsewhere => Path.Combine(_directory, "elsewhere", "Upper");

    [Theory]
    [InlineData("absolute")]
    [InlineData("../elsewhere/Upper")]
    [InlineData("..")]
    public async Task APathInLogicPluginIsRefusedAtStartUpWithExitCode2(string plugin)
    {
        var value = plugin == "absolute" ? Elsewhere : plugin;
        var result = await HostProcess.RunAsync(
            ["--Server:Address=127.0.0.1", "--Server:Port=0", $"--Logic:PluginsPath={PluginsPath}", $"--Logic:Plugin={value}"],
            TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"Logic:Plugin: '{value}' is not a plugin name", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain("listening on", result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALiveEditToAPathIsRejectedAndTheLastValidSettingsKeepServing()
    {
        var config = Path.Combine(_directory, "live.json");
        File.WriteAllText(config, """{ "Logic": { "Plugin": "Reverse" } }""");
        var (host, line) = await CliSandbox.StartForegroundAsync(
            ["--config", config, "--Server:Address=127.0.0.1", "--Server:Port=0", $"--Logic:PluginsPath={PluginsPath}"]);
        await using (host)
        {
            Assert.Equal("cba", await HostAnswers.AskAsync(line.Port, "abc"));

            // Saved again until seen: the start-up line comes before the configuration watch is in place.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                File.WriteAllText(config, $$"""{ "Logic": { "Plugin": "{{Elsewhere}}" } }""");
                try
                {
                    await host.WaitForOutputAsync("Configuration change rejected as a whole", TimeSpan.FromSeconds(4));
                    break;
                }
                catch (TimeoutException) when (DateTime.UtcNow < deadline)
                {
                    // Not read yet: save again.
                }
            }

            Assert.Contains($"Logic:Plugin: '{Elsewhere}' is not a plugin name", host.Output, StringComparison.Ordinal);
            Assert.Equal("cba", await HostAnswers.AskAsync(line.Port, "abc"));
            Assert.DoesNotContain("Swapped plugin", host.Output, StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
