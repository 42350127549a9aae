using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Observability;

/// <summary>The active reactors and the connections moved between them, as a dashboard reads them.</summary>
public sealed class ReactorInstrumentsTests
{
    [Fact]
    public async Task ActiveReactorsAndMigrationsAreObserved()
    {
        // The drill alternates the active set between one and both reactors every 10 ms, moving connections off the
        // reactor that goes inactive; eight connections spread over both.
        await using var server = TestServer.Start("Epoll", ("Server:ReactorThreads", "2"), ("Server:ReactorMigrationDrillMs", "10"));
        using var capture = new MeterCapture(server.Server.Meter.Meter);
        var clients = Enumerable.Range(0, 8).Select(_ => server.Connect()).ToList();
        try
        {
            var seen = new HashSet<double>();
            double moves = 0;
            await Wait.UntilAsync(
                async () =>
                {
                    foreach (var client in clients)
                    {
                        Assert.Equal("cba", await client.AskAsync("abc"));
                    }

                    seen.UnionWith(capture.Observe("pluggablenet.reactors.active").Select(m => m.Value));
                    moves = capture.Observe("pluggablenet.reactor.migrations").Sum(m => m.Value);
                    return seen.Contains(1) && seen.Contains(2) && moves > 0;
                },
                TimeSpan.FromSeconds(20),
                "one and then two active reactors, and a connection moved");
            Assert.All(seen, active => Assert.InRange(active, 1, 2));
            Assert.InRange(moves, 1, server.Server.Metrics.ReactorMigrations);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }
}
