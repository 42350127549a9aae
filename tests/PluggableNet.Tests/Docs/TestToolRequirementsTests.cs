using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Docs;

/// <summary>
/// The README's Requirements are what <c>dotnet test</c> needs: the tools the fleet, socket-activation and C-baseline
/// tests start are installed by one script, <c>.ci/install-test-tools</c>, which the README names and <c>.ci/run</c> calls.
/// The script is run against a PATH of stand-ins, so nothing is installed.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TestToolRequirementsTests : IDisposable
{
    // Each tool a test starts, and the Debian package the README's install line names for it.
    private static readonly (string Tool, string Package)[] s_tools =
        [("haproxy", "haproxy"), ("socat", "socat"), ("systemd-socket-activate", "systemd"), ("cc", "gcc")];

    private readonly string _bin = TestPaths.NewTempDirectory("pnet-tools");

    private static string Script => Path.Combine(TestPaths.RepoRoot, ".ci", "install-test-tools");

    [Fact]
    public void TheReadmeAndCiNameTheScriptAndTheInstallLine()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        Assert.Contains("`.ci/install-test-tools`", readme, StringComparison.Ordinal);
        Assert.Contains($"`sudo apt-get install {string.Join(' ', s_tools.Select(t => t.Package))}`", readme, StringComparison.Ordinal);
        Assert.Contains(".ci/install-test-tools", File.ReadAllText(Path.Combine(TestPaths.RepoRoot, ".ci", "run")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithEveryToolPresentTheScriptInstallsNothing()
    {
        foreach (var (tool, _) in s_tools)
        {
            StandIn(tool);
        }

        var (exitCode, error) = await RunScriptAsync();

        Assert.True(exitCode == 0, error);
        Assert.Equal(string.Empty, error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task EachMissingToolIsNamedWithItsPackage(int missing)
    {
        foreach (var (tool, _) in s_tools.Where((_, i) => i != missing))
        {
            StandIn(tool);
        }

        // No apt-get on this PATH: the script says what to install instead of installing it.
        var (exitCode, error) = await RunScriptAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains($"install {s_tools[missing].Package} ", error, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_bin, recursive: true);

    private void StandIn(string tool)
    {
        var path = Path.Combine(_bin, tool);
        File.WriteAllText(path, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
    }

    private async Task<(int ExitCode, string Error)> RunScriptAsync()
    {
        await using var script = ChildProcess.Start("/bin/bash", [Script], [new("PATH", _bin)]);
        var exitCode = await script.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (exitCode, script.Error);
    }
}
