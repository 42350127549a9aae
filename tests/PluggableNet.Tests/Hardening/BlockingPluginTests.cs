using System.Diagnostics;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Hardening;

public sealed class BlockingPluginTests(ITestOutputHelper output)
{
    private const int BlockMs = 3000;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task SynchronousPluginThatBlocksStallsOnlyItsOwnThread(string transport)
    {
        var marker = Path.Combine(HardeningPlugins.Directory, $"blocking-{Guid.NewGuid():N}");
        await using var server = HardeningPlugins.Start(transport, HardeningPlugins.Faulty, ("Server:ReactorThreads", "2"));
        var before = Enumerable.Range(0, 4).Select(_ => server.Connect()).ToList();
        var during = new List<FrameClient>();
        try
        {
            foreach (var client in before)
            {
                Assert.Equal("ydaer", await client.AskAsync("ready"));
            }

            using var blocker = server.Connect();
            var watch = Stopwatch.StartNew();
            var blockRequest = $"block:{BlockMs}:{marker}";
            await blocker.SendAsync(blockRequest);
            var blocked = blocker.ReadStringAsync(TimeSpan.FromSeconds(15));
            await Wait.UntilAsync(() => File.Exists(marker), because: "the plugin to start blocking");

            // Connections made while one reactor is stuck are accepted by a reactor that is not.
            var latencies = new List<(string Which, TimeSpan Latency)>();
            var asks = before.Select((client, i) => Timed($"before-{i}", client)).ToList();
            for (var i = 0; i < 4; i++)
            {
                during.Add(server.Connect());
                asks.Add(Timed($"during-{i}", during[i]));
            }

            foreach (var ask in asks)
            {
                latencies.Add(await ask);
            }

            var blockerAnswer = await blocked;
            var blockEnded = watch.Elapsed;
            Assert.Equal(SocketHelpers.Reverse(blockRequest), blockerAnswer);
            foreach (var (which, latency) in latencies)
            {
                output.WriteLine($"{transport}: {which} answered after {latency.TotalMilliseconds:F0} ms (block {BlockMs} ms, blocker answered after {blockEnded.TotalMilliseconds:F0} ms)");
            }

            var fastest = latencies.Where(l => l.Which.StartsWith("during", StringComparison.Ordinal)).Min(l => l.Latency);
            Assert.True(fastest < TimeSpan.FromMilliseconds(BlockMs / 2), $"no connection was served while one thread was blocked; fastest {fastest}");
        }
        finally
        {
            before.Concat(during).ToList().ForEach(c => c.Dispose());
            File.Delete(marker);
        }

        static async Task<(string, TimeSpan)> Timed(string which, FrameClient client)
        {
            var watch = Stopwatch.StartNew();
            Assert.Equal(SocketHelpers.Reverse(which), await client.AskAsync(which));
            return (which, watch.Elapsed);
        }
    }
}
