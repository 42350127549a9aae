using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// <c>Limits:MaxConnectionsPerAddress</c> and <c>Limits:AcceptRatePerAddress</c> under a reconnect storm from one
/// address (127.0.0.2: Linux lets a client bind any 127.x address) while another address (127.0.0.1) is served as
/// usual. Refused connections are closed at once, counted by kind and logged as a rate.
/// </summary>
public sealed class PerAddressLimitTests
{
    private static readonly IPAddress s_storm = IPAddress.Parse("127.0.0.2");

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnAddressAtItsCapIsRefusedWhileAnotherIsServedAndTheCapFreesAsItsConnectionsClose(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:MaxConnectionsPerAddress", "3"));
        var clients = new List<FrameClient>();
        try
        {
            var held = Connect(server, s_storm, 3, clients);
            for (var i = 0; i < held.Count; i++)
            {
                Assert.Equal($"{i}a", await held[i].AskAsync($"a{i}"));
            }

            var refused = Connect(server, s_storm, 10, clients);
            foreach (var client in refused)
            {
                Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "a connection over the per-address cap was not closed");
            }

            // Another address is not touched by 127.0.0.2's cap: it has its own, as many connections.
            var others = Connect(server, IPAddress.Loopback, 3, clients);
            for (var i = 0; i < others.Count; i++)
            {
                Assert.Equal($"{i}o", await others[i].AskAsync($"o{i}"));
            }

            Assert.Equal(10, server.Server.Status().Rejections["address_connections"]);
            Assert.Equal(0, server.Server.Status().Rejections["max_connections"]);

            // Logged as a rate: the first refusal of a second in full, the rest of that second summed up in one line.
            await server.Log.WaitForAsync("refused: its address 127.0.0.2 opened 3 connection(s) open already (Limits:MaxConnectionsPerAddress)");
            await server.Log.WaitForAsync("more connection event(s) of kind AddressConnections in the last second");
            Assert.True(server.Log.Messages().Count(m => m.Contains("refused: its address 127.0.0.2", StringComparison.Ordinal)) <= 2, "refusals logged one by one");

            // The cap frees as the address's connections close.
            held[0].Dispose();
            await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == 2 + others.Count, because: "the closed connection to leave the count");
            using var again = FrameClient.Connect(server.EndPoint, s_storm);
            Assert.Equal("niaga", await again.AskAsync("again"));
            Assert.Equal("1a", await held[1].AskAsync("a1"));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AReconnectStormFromOneAddressMeetsTheRateWhileAnotherAddressIsServed(string transport)
    {
        const int Rate = 5;
        const int Burst = 5;
        const int Storm = 60;
        await using var server = TestServer.Start(transport, ("Limits:AcceptRatePerAddress", $"{Rate}"), ("Limits:AcceptBurstPerAddress", $"{Burst}"));
        using var steady = server.Connect();
        Assert.Equal("ydaets", await steady.AskAsync("steady"));

        // 127.0.0.1 keeps asking on its connection, and opens a few new ones (within its own burst), during the storm.
        using var stop = new CancellationTokenSource();
        var served = 0;
        var other = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested || i < 3; i++)
            {
                Assert.Equal($"x{i}", await steady.AskAsync($"{Reversed(i)}x"));
                served++;
                if (i < 3)
                {
                    using var fresh = server.Connect();
                    Assert.Equal($"{i}hserf", await fresh.AskAsync($"fresh{i}"));
                }
            }
        });

        var admitted = 0;
        var refused = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Storm; i++)
        {
            using var client = FrameClient.Connect(server.EndPoint, s_storm);
            try
            {
                await client.SendAsync("x");
                Assert.Equal("x", await client.ReadStringAsync(TimeSpan.FromSeconds(5)));
                admitted++;
            }
            catch (Exception exception) when (exception is EndOfStreamException or SocketException or IOException)
            {
                refused++;
            }
        }

        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await other.WaitAsync(TimeSpan.FromSeconds(20));

        // The burst at once, then one per interval: never more (one spare for the interval the storm was in).
        Assert.InRange(admitted, Burst, Burst + (int)Math.Ceiling(elapsed.TotalSeconds * Rate) + 1);
        Assert.Equal(Storm - admitted, refused);
        Assert.True(served >= 3, $"127.0.0.1 served {served} request(s)");
        await Wait.UntilAsync(() => server.Server.Status().Rejections["address_rate"] == refused, because: "every refusal counted");
        await server.Log.WaitForAsync($"refused: its address 127.0.0.2 opened faster than {Rate} connection(s) a second, burst {Burst} (Limits:AcceptRatePerAddress)");
        Assert.DoesNotContain(server.Log.Messages(), m => m.Contains("its address 127.0.0.1", StringComparison.Ordinal));
    }

    private static string Reversed(int i) => new([.. $"{i}".Reverse()]);

    private static List<FrameClient> Connect(TestServer server, IPAddress from, int count, List<FrameClient> all)
    {
        var clients = Enumerable.Range(0, count).Select(_ => FrameClient.Connect(server.EndPoint, from)).ToList();
        all.AddRange(clients);
        return clients;
    }
}
