using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>
/// v2 connections moved between epoll reactors (<c>Server:ReactorMigrationDrillMs</c>) between requests: an offloaded
/// call started after a move must wake the reactor that drives the connection now, not the one it left.
/// </summary>
public sealed class ReactorMigrationTests
{
    [Fact]
    public async Task OffloadedAnswersArriveOnConnectionsThatMovedBetweenReactors()
    {
        await using var server = V2Plugins.Start("Epoll", V2Plugins.Offloaded, ("Server:ReactorThreads", "2"), ("Server:ReactorMigrationDrillMs", "10"));
        var connections = new List<V2Connection>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                connections.Add(await V2Connection.OpenAsync(server.EndPoint));
            }

            var load = connections.Select((connection, index) => Task.Run(async () =>
            {
                uint id = 0;
                while (server.Server.Metrics.ReactorMigrations < 200 && id < 100_000)
                {
                    // One request at a time, so the connection is idle (movable) between them.
                    var payload = $"{index}-{++id}";
                    Assert.Equal(new string(payload.Reverse().ToArray()), await connection.AskAsync(id, payload));
                }

                return id;
            })).ToList();

            var answered = await Task.WhenAll(load).WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(server.Server.Metrics.ReactorMigrations >= 200, $"only {server.Server.Metrics.ReactorMigrations} moves");
            Assert.All(answered, count => Assert.True(count > 0));
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }
    }
}
