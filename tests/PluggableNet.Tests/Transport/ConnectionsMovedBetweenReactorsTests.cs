using System.Text;
using PluggableNet.Tests.HotSwap;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Transport;

/// <summary>
/// Connections moved between epoll reactors (the real migration path, driven by <c>Server:ReactorMigrationDrillMs</c>,
/// which alternates the active set between one and both reactors every few milliseconds) keep every pipelined answer,
/// in order, on the same open connection: under load and while the plugin is swapped.
/// </summary>
public sealed class ConnectionsMovedBetweenReactorsTests
{
    private const int Connections = 8;
    private const int Depth = 8;
    private const int WantedMoves = 400;

    [Fact]
    public async Task PipelinedAnswersStayInOrderAndNothingIsLostWhileConnectionsMove()
    {
        await using var server = TestServer.Start("Epoll", ("Server:ReactorThreads", "2"), ("Server:ReactorMigrationDrillMs", "10"));
        var clients = Enumerable.Range(0, Connections).Select(_ => server.Connect()).ToList();
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var finished = 0;
            var load = clients.Select((client, index) => Task.Run(() => DriveAsync(client, index, reverse: true, () => Volatile.Read(ref finished) == 1, stop.Token))).ToList();

            await Wait.UntilAsync(() => server.Server.Metrics.ReactorMigrations >= WantedMoves || load.Any(t => t.IsFaulted), TimeSpan.FromSeconds(45), "connections moved between reactors under load");
            Volatile.Write(ref finished, 1);
            var answered = (await Task.WhenAll(load)).Sum(c => c.A);

            Assert.True(server.Server.Metrics.ReactorMigrations >= WantedMoves, $"only {server.Server.Metrics.ReactorMigrations} moves");
            Assert.True(answered > Connections * Depth, $"{answered} answers");
            Assert.Equal(Connections, server.Server.Metrics.OpenConnections);
            Assert.Equal(0, server.Server.Metrics.ProtocolErrors);
            Assert.Equal(server.Server.Metrics.Requests, answered);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task ConnectionsMoveDuringHotSwapsWithoutLosingOrReorderingAnswers()
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start("Epoll", plugins.Settings(("Server:ReactorThreads", "2"), ("Server:ReactorMigrationDrillMs", "10")));
        var clients = Enumerable.Range(0, Connections).Select(_ => server.Connect()).ToList();
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var finished = 0;
            var load = clients.Select((client, index) => Task.Run(() => DriveAsync(client, index, reverse: false, () => Volatile.Read(ref finished) == 1, stop.Token))).ToList();

            for (var i = 1; i <= 12; i++)
            {
                var movesBefore = server.Server.Metrics.ReactorMigrations;
                plugins.WriteInPlace(i % 2 == 1 ? HotSwapPlugins.V2 : HotSwapPlugins.V1);
                var result = await server.Server.ReloadAsync("test");
                Assert.True(result.Succeeded, result.Error);

                // Each version serves while connections move, before the next swap.
                var requests = server.Server.Metrics.Requests;
                await Wait.UntilAsync(
                    () => (server.Server.Metrics.Requests >= requests + (Connections * Depth) && server.Server.Metrics.ReactorMigrations >= movesBefore + Connections) || load.Any(t => t.IsFaulted),
                    TimeSpan.FromSeconds(10),
                    "load and moves between swaps");
            }

            Volatile.Write(ref finished, 1);
            var counts = await Task.WhenAll(load);
            Assert.True(counts.Sum(c => c.A) > 0 && counts.Sum(c => c.B) > 0, "both versions answered");
            Assert.Equal(Connections, server.Server.Metrics.OpenConnections);
            Assert.Equal(0, server.Server.Metrics.PluginFaults);
            Assert.True(server.Server.Metrics.ReactorMigrations >= 12 * Connections);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Bursts of <see cref="Depth"/> pipelined requests, each answer checked against its own request, in order.</summary>
    private static async Task<(int A, int B)> DriveAsync(FrameClient client, int index, bool reverse, Func<bool> done, CancellationToken cancellationToken)
    {
        var a = 0;
        var b = 0;
        for (var burst = 0; !done() && burst < 1_000_000; burst++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var payloads = Enumerable.Range(0, Depth).Select(i => $"c{index}-{burst}-{i}").ToArray();
            await client.SendRawAsync(payloads.SelectMany(p => client.Frame(Encoding.UTF8.GetBytes(p))).ToArray());
            foreach (var payload in payloads)
            {
                var answer = await client.ReadStringAsync(TimeSpan.FromSeconds(10));
                if (reverse && answer == new string(payload.Reverse().ToArray()))
                {
                    a++;
                }
                else if (!reverse && answer == "A:" + payload)
                {
                    a++;
                }
                else if (!reverse && answer == "B:" + payload)
                {
                    b++;
                }
                else
                {
                    Assert.Fail($"answer \"{answer}\" to \"{payload}\" (connection {index}, burst {burst}) is not its answer: lost or out of order");
                }
            }
        }

        return (a, b);
    }
}
