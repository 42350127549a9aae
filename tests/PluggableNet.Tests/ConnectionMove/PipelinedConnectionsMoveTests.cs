using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ConnectionMove;

/// <summary>
/// Issue 23, item 3: connections with clients pipelining all the while move from one server (Upper) to another
/// (Reverse), on every pair of transports and both protocols. No answer is lost, repeated, reordered or mixed, and no
/// client sees its connection close.
/// </summary>
public sealed class PipelinedConnectionsMoveTests
{
    private const int Clients = 8;

    [Theory]
    [MemberData(nameof(MoveTheory.TransportPairsAndProtocols), MemberType = typeof(MoveTheory))]
    public async Task EveryAnswerComesOnceInOrderFromOneServerOrTheOther(string from, string to, string protocol)
    {
        await using var oldServer = TestServer.Start(from, ("Logic:Plugin", "Upper"));
        await using var newServer = TestServer.Start(to, ("Logic:Plugin", "Reverse"));
        var clients = new List<PipeliningClient>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                clients.Add(await PipeliningClient.StartAsync(oldServer.EndPoint, protocol, i));
            }

            await PipeliningClient.AllUntilAsync(clients, c => c.FromOld >= 50, "answered by the old server");

            var moved = await ConnectionMover.MoveAllAsync(oldServer.Server, newServer.Server, TimeSpan.FromSeconds(5));

            Assert.Equal(Clients, moved.Moved);
            Assert.Equal(0, moved.LeftBehind);
            Assert.Equal(0, oldServer.Server.Metrics.OpenConnections);
            await PipeliningClient.AllUntilAsync(clients, c => c.FromNew >= 50, "answered by the new server");
            foreach (var client in clients)
            {
                await client.FinishAsync();
            }

            Assert.Equal(Clients, newServer.Server.Metrics.OpenConnections);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }
}
