using System.Text.RegularExpressions;
using PluggableNet.Tests.Cli;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

/// <summary>Issue 10, point 9: removing the --config file is not an edit to empty settings.</summary>
public sealed partial class DeletedConfigFileKeepsSettingsTests
{
    [Fact]
    public async Task ADeletedConfigFileKeepsItsSettingsAndIsReadAgainWhenItReturns()
    {
        using var sandbox = new CliSandbox(address: "127.0.0.1", plugin: "Upper");
        var (host, line) = await CliSandbox.StartForegroundAsync(["--config", sandbox.ConfigFile, "--Server:Port=0"]);
        await using (host)
        {
            Assert.Equal("Upper", line.Plugin);
            var text = File.ReadAllText(sandbox.ConfigFile);

            File.Delete(sandbox.ConfigFile);
            await host.WaitForOutputAsync("is gone; its last valid settings stay in force", TimeSpan.FromSeconds(15));
            Assert.Equal("ABC", await HostAnswers.AskAsync(line.Port, "abc"));

            // Back, now naming Reverse: read again and applied, and this is the only swap there ever was.
            File.WriteAllText(sandbox.ConfigFile, text.Replace("\"Upper\"", "\"Reverse\"", StringComparison.Ordinal));
            await HostAnswers.BecomesAsync(line.Port, "abc", "cba");
            await host.WaitForOutputAsync("Swapped plugin");
            Assert.Contains("is back; reading it", host.Output, StringComparison.Ordinal);
            var swaps = SwapLine().Matches(host.Output);
            Assert.True(swaps.Count == 1, $"expected one swap, Upper → Reverse; output: {host.Output}");
            Assert.Contains("Upper", swaps[0].Groups["from"].Value, StringComparison.Ordinal);
            Assert.Contains("Reverse", swaps[0].Groups["to"].Value, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"Swapped plugin (?<from>.*?) → (?<to>\S+)")]
    private static partial Regex SwapLine();
}
