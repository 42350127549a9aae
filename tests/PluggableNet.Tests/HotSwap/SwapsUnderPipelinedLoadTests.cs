using System.Text;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.HotSwap;

public sealed class SwapsUnderPipelinedLoadTests
{
    private const int Connections = 8;
    private const int Depth = 8;
    private const int Swaps = 24;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ManySwapsLoseNoRequestAndCloseNoConnection(string transport)
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start(transport, plugins.Settings());
        var clients = Enumerable.Range(0, Connections).Select(_ => server.Connect()).ToList();
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(25));
            var finished = 0;
            var load = clients.Select((client, index) => Task.Run(() => DriveAsync(client, index, () => Volatile.Read(ref finished) == 1, stop.Token))).ToList();

            for (var i = 1; i <= Swaps; i++)
            {
                plugins.WriteInPlace(i % 2 == 1 ? HotSwapPlugins.V2 : HotSwapPlugins.V1);
                var result = await server.Server.ReloadAsync("test");
                Assert.True(result.Succeeded, result.Error);

                // Let some load run on each version before the next swap.
                var requests = server.Server.Metrics.Requests;
                await Wait.UntilAsync(() => server.Server.Metrics.Requests >= requests + Connections * Depth, TimeSpan.FromSeconds(5), "load between swaps");
            }

            Volatile.Write(ref finished, 1);

            var counts = await Task.WhenAll(load);
            var total = counts.Aggregate(new TagCounts(0, 0), (a, b) => new TagCounts(a.A + b.A, a.B + b.B));
            Assert.True(total.A > 0 && total.B > 0, $"both versions answered: A={total.A}, B={total.B}");
            Assert.Equal(Connections, server.Server.Metrics.OpenConnections);
            Assert.Equal(0, server.Server.Metrics.PluginFaults);
            Assert.Equal(Swaps, server.Server.Status().Swaps);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Sends bursts of <see cref="Depth"/> pipelined requests and checks every answer, until told to stop.</summary>
    private static async Task<TagCounts> DriveAsync(FrameClient client, int index, Func<bool> done, CancellationToken cancellationToken)
    {
        var a = 0;
        var b = 0;
        for (var burst = 0; !done() && burst < 100_000; burst++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var payloads = Enumerable.Range(0, Depth).Select(i => $"c{index}-{burst}-{i}").ToArray();
            var bytes = payloads.SelectMany(p => client.Frame(Encoding.UTF8.GetBytes(p))).ToArray();
            await client.SendRawAsync(bytes);
            foreach (var payload in payloads)
            {
                // Any failure here (closed connection, timeout, wrong answer) fails the test.
                var answer = await client.ReadStringAsync();
                if (answer == "A:" + payload)
                {
                    a++;
                }
                else if (answer == "B:" + payload)
                {
                    b++;
                }
                else
                {
                    Assert.Fail($"answer \"{answer}\" to \"{payload}\" is neither v1's nor v2's");
                }
            }
        }

        return new TagCounts(a, b);
    }

    private readonly record struct TagCounts(int A, int B);
}
