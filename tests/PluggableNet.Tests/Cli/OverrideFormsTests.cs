using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Cli;

/// <summary><c>--Key value</c> as well as <c>--Key=value</c>, environment variables, and which source wins.</summary>
public sealed class OverrideFormsTests
{
    [LinuxFact]
    public async Task SpaceSeparatedOverridesWinOverTheFile()
    {
        using var sandbox = new CliSandbox(address: "0.0.0.0", plugin: "Upper");

        var (host, line) = await CliSandbox.StartForegroundAsync(
            ["--Server:Port", "0", "--config", sandbox.ConfigFile, "--Server:Address", "127.0.0.1", "--Logic:Plugin", "Reverse"]);
        await using (host)
        {
            Assert.Equal("127.0.0.1", line.Address);
            Assert.NotEqual(sandbox.FilePort, line.Port);
            Assert.Equal("Reverse", line.Plugin);
            await CliSandbox.AssertAnswersAsync(line.Port, "Reverse");
        }
    }

    [LinuxFact]
    public async Task EnvironmentVariablesWinOverTheFile()
    {
        using var sandbox = new CliSandbox(address: "0.0.0.0", plugin: "Upper");
        var environment = new Dictionary<string, string>
        {
            ["PLUGGABLENET_Server__Port"] = "0",
            ["PLUGGABLENET_Server__Address"] = "127.0.0.1",
            ["PLUGGABLENET_Logic__Plugin"] = "Reverse",
        };

        var (host, line) = await CliSandbox.StartForegroundAsync(["run", "--config=" + sandbox.ConfigFile], environment);
        await using (host)
        {
            Assert.Equal("127.0.0.1", line.Address);
            Assert.NotEqual(sandbox.FilePort, line.Port);
            Assert.Equal("Reverse", line.Plugin);
            await CliSandbox.AssertAnswersAsync(line.Port, "Reverse");
        }
    }

    [LinuxFact]
    public async Task CommandLineOverridesWinOverEnvironmentVariables()
    {
        using var sandbox = new CliSandbox(address: "0.0.0.0", plugin: "Reverse");
        var environment = new Dictionary<string, string>
        {
            ["PLUGGABLENET_Server__Port"] = sandbox.FilePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PLUGGABLENET_Logic__Plugin"] = "Reverse",
        };

        var (host, line) = await CliSandbox.StartForegroundAsync(
            ["--config", sandbox.ConfigFile, "--Logic:Plugin=Upper", "--Server:Port=0", "--Server:Address=127.0.0.1"], environment);
        await using (host)
        {
            Assert.Equal("127.0.0.1", line.Address);
            Assert.NotEqual(sandbox.FilePort, line.Port);
            Assert.Equal("Upper", line.Plugin);
            await CliSandbox.AssertAnswersAsync(line.Port, "Upper");
        }
    }
}
