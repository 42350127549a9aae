using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hosting;

/// <summary>
/// What a user changes in the build output (<c>src/Host/bin/…</c>: the <c>appsettings.json</c> copy, a plugin deployed
/// into its <c>plugins</c> folder by the README's tour) never changes what a test host runs: the tests run their own
/// copy of the host (<see cref="TestHostInstall"/>). Here the build output is edited for real, and restored.
/// </summary>
public sealed class BuildOutputEditsDoNotReachTestHostsTests
{
    [Fact]
    public async Task AnEditedBinAppSettingsAndAPluginDeployedIntoBinAreNotSeenByTestHosts()
    {
        var settings = Path.Combine(TestHostInstall.BuildOutput, "appsettings.json");
        var planted = Path.Combine(TestHostInstall.BuildOutput, "plugins", "PlantedByAUser");
        Assert.True(File.Exists(settings), $"no build output at {settings}");
        var original = File.ReadAllBytes(settings);
        var originalTime = File.GetLastWriteTimeUtc(settings);
        Assert.NotEqual(TestHostInstall.BuildOutput, TestPaths.HostOutput);
        try
        {
            File.WriteAllText(settings, """{ "Logic": { "Plugin": "Nope" }, "Server": { "Transport": "Sockets" } }""");
            Directory.CreateDirectory(planted);

            // No plugin named: whatever the host's own appsettings.json says is what runs.
            await using (var host = await RunningHost.StartAsync("Epoll", []))
            {
                var line = ListeningLine.Find(host.Process.Output)!;
                Assert.Equal("Reverse", line.Plugin);
                Assert.Contains("transport Epoll", host.Process.Output, StringComparison.Ordinal);
                using var client = host.Connect();
                Assert.Equal("olleh", await client.AskAsync("hello"));
            }

            var missing = await HostProcess.RunAsync(["--Server:Address=127.0.0.1", "--Server:Port=0", "--Logic:Plugin=Nope"]);
            Assert.Equal(3, missing.ExitCode);
            Assert.Contains($"Available plugins: {string.Join(", ", TestHostInstall.BundledPluginNames)}", missing.All, StringComparison.Ordinal);
            Assert.DoesNotContain("PlantedByAUser", missing.All, StringComparison.Ordinal);
        }
        finally
        {
            File.WriteAllBytes(settings, original);
            File.SetLastWriteTimeUtc(settings, originalTime);
            Directory.Delete(planted);
        }
    }
}
