using System.Globalization;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Upgrade;

/// <summary>
/// The issue's "descriptor counts of the surviving host flat across the upgrades": several upgrades in a row through
/// the real <c>upgrade</c> verb, and the last host holds no more descriptors than the first upgraded one, and exactly
/// one copy of the listening socket (a listener inherited without close-on-exec used to add one per upgrade).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DescriptorsAcrossUpgradesTests(ITestOutputHelper output)
{
    private const int Upgrades = 4;

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TheSurvivingHostsDescriptorsDoNotGrowWithTheNumberOfUpgrades(string transport)
    {
        await using var host = await UpgradedHost.StartAsync(transport);
        using (var client = FrameClient.Connect(host.EndPoint))
        {
            Assert.Equal("cba", await client.AskAsync("abc"));
        }

        var pid = (await host.ServingAsync(_ => true)).Pid;
        Assert.Equal(1, ProcDescriptors.ListenerCopies(pid, host.EndPoint.Port));
        var counts = new List<int>();
        for (var round = 1; round <= Upgrades; round++)
        {
            var result = await host.UpgradeAsync();
            Assert.True(result.ExitCode == 0, $"upgrade {round}: {result}");
            var previous = pid;
            pid = (await host.ServingAsync(s => s.Pid != previous)).Pid;
            using (var client = FrameClient.Connect(host.EndPoint))
            {
                Assert.Equal("cba", await client.AskAsync("abc"));
            }

            // The old host drains and exits; until then the new one may still hold the hand-over channel.
            await Wait.UntilAsync(() => !Directory.Exists($"/proc/{previous}"), TimeSpan.FromSeconds(20), $"pid {previous} to exit after its drain");
            var copies = ProcDescriptors.ListenerCopies(pid, host.EndPoint.Port);
            counts.Add(ProcDescriptors.Count(pid));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{transport} upgrade {round}: pid {pid}, {counts[^1]} descriptors, {copies} listener copy(ies), rss {ProcDescriptors.RssKb(pid)} kB"));
            Assert.True(copies == 1, $"upgrade {round}: pid {pid} holds {copies} copies of the listening socket");
        }

        // Flat: the last host settles at no more than the first upgraded one (one spare for a timer or the runtime).
        var first = counts[0];
        await Wait.UntilAsync(() => ProcDescriptors.Count(pid) <= first + 1, TimeSpan.FromSeconds(10), $"pid {pid}'s descriptors ({ProcDescriptors.Count(pid)}) to come back to {first} + 1; after each upgrade: {string.Join(", ", counts)}");
    }
}
