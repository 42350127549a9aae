using System.Security.Authentication;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Connections.Handover;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ConnectionMove;

/// <summary>
/// A TLS connection cannot move (SslStream's state is not exportable): a TLS endpoint's batch is empty, its connections
/// stay and are served on, and it adopts nothing.
/// </summary>
public sealed class TlsConnectionsStayTests
{
    [Fact]
    public async Task ATlsEndpointDetachesNothingAndAdoptsNothing()
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var tlsServer = TestServer.Start("Sockets", files.Settings("server"));
        using var client = await TlsClient.ConnectAsync(tlsServer.EndPoint, "localhost", SslProtocols.Tls13);
        Assert.Equal("olleh", await client.AskAsync("hello"));

        await using (var batch = await tlsServer.Server.BeginDetachAsync(TimeSpan.FromSeconds(1)))
        {
            await foreach (var snapshot in batch.ReadAllAsync())
            {
                snapshot.Dispose();
                Assert.Fail("a TLS connection was detached");
            }

            Assert.Equal(0, batch.Detached);
            Assert.Equal(1, batch.LeftBehind);
        }

        Assert.Equal("dlrow", await client.AskAsync("world"));
        using var snapshotToRefuse = new ConnectionSnapshot { Protocol = WireProtocol.V1, Socket = new DescriptorHandle(-1) };
        Assert.Contains("TLS", Assert.Throws<InvalidOperationException>(() => tlsServer.Server.Adopt(snapshotToRefuse)).Message);
    }
}
