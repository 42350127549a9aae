using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginUnload;

/// <summary>
/// On the real host, idle after its swaps (no requests, nobody forcing a collection), the status shows the retired
/// generations of a System.Text.Json plugin gone within seconds: the host's own check collects them.
/// </summary>
public sealed class QuietHostUnloadsRetiredGenerationsTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task RetiredGenerationsLoadedGoesBackToZero(string transport)
    {
        using var plugins = new UnloadPluginFolder(UnloadPlugins.SystemTextJson("A"));
        await using var host = await RunningHost.StartAsync(transport, [$"--Logic:PluginsPath={plugins.PluginsPath}", $"--Logic:Plugin={plugins.Name}"]);
        using (var client = host.Connect())
        {
            Assert.Contains("\"A\"", await client.AskAsync("x"), StringComparison.Ordinal);
            for (var swap = 1; swap <= 3; swap++)
            {
                plugins.Write(UnloadPlugins.SystemTextJson(swap % 2 == 1 ? "B" : "A"));
                await host.SignalAsync(RunningHost.Sighup);
                await host.StatusAsync(s => s.Swaps == swap);
                Assert.Contains(swap % 2 == 1 ? "\"B\"" : "\"A\"", await client.AskAsync("x"), StringComparison.Ordinal);
            }
        }

        var status = await host.StatusAsync(s => s.RetiredGenerationsLoaded == 0, TimeSpan.FromSeconds(30));
        Assert.Equal((3, 0), (status.Swaps, status.FailedSwaps));
        Assert.DoesNotContain("did not unload", host.Process.Output + host.Process.Error, StringComparison.Ordinal);
    }
}
