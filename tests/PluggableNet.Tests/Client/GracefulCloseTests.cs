using System.Net.Sockets;
using PluggableNet.Client;

namespace PluggableNet.Tests.Client;

/// <summary>
/// A close by the server at a frame boundary (EOF with no partial answer, what a draining host does) is no failure:
/// the requests it left unanswered are resent on a new connection, a bounded number of times.
/// </summary>
public sealed class GracefulCloseTests
{
    [Fact]
    public async Task UnansweredRequestsAreResentOnANewConnection()
    {
        RawPeer? peer = null;
        await using var _ = peer = new RawPeer(async (socket, index) =>
        {
            if (index == 0)
            {
                // Both requests arrive; answer the first, then close cleanly as a drain does.
                var first = await peer!.ReadRequestAsync(socket);
                await peer.ReadRequestAsync(socket);
                await RawPeer.WriteAsync(socket, RawPeer.Answer(first!));
                socket.Shutdown(SocketShutdown.Both);
                socket.Close();
                return;
            }

            while (await peer!.ReadRequestAsync(socket) is { } request)
            {
                await RawPeer.WriteAsync(socket, RawPeer.Answer(request));
            }
        });
        using var log = new ClientLogCapture();
        var options = ClientHosts.Options(peer.EndPoint);
        options.ConnectionsPerEndpoint = 1;
        await using var client = new PluggableNetClient(options, log.Logger);

        var first = client.SendStringAsync("first").AsTask();
        var second = client.SendStringAsync("second").AsTask();

        Assert.Equal("tsrif", await first);
        Assert.Equal("dnoces", await second);
        Assert.Equal(2, peer.Accepted);
        Assert.Equal(3, peer.Requests);
        Assert.Equal(new ClientCounters(Resent: 1, Retried: 0, ConnectionFailures: 0, Timeouts: 0), client.Counters);
        Assert.True(log.Log.Contains("closed by the server at a frame boundary; 1 unanswered request(s) resent"), string.Join(Environment.NewLine, log.Log.Messages()));
    }

    [Fact]
    public async Task AServerThatAlwaysClosesWithoutAnsweringFailsTheRequestAfterTheResends()
    {
        RawPeer? peer = null;
        await using var _ = peer = new RawPeer(async (socket, _) =>
        {
            await peer!.ReadRequestAsync(socket);
            socket.Shutdown(SocketShutdown.Both);
            socket.Close();
        });
        var options = ClientHosts.Options(peer.EndPoint);
        options.MaxResendsOnGracefulClose = 2;
        await using var client = new PluggableNetClient(options);

        var failure = await Assert.ThrowsAsync<PluggableNetConnectionException>(() => client.SendStringAsync("poison").AsTask());

        Assert.True(failure.MayHaveBeenProcessed);
        Assert.Contains("3 time(s) without answering", failure.Message, StringComparison.Ordinal);
        Assert.Equal(3, peer.Requests);
    }
}
