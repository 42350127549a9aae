using System.Net.Sockets;
using PluggableNet.Client;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Client;

/// <summary>
/// A connection that dies before the answer fails the request with <see cref="PluggableNetConnectionException"/>,
/// saying it may have been processed; an idempotent request is retried once elsewhere, and only once.
/// </summary>
public sealed class ConnectionFailureTests
{
    [Fact]
    public async Task ServerClosingInTheMiddleOfAnAnswerFailsTheRequestAsPossiblyProcessed()
    {
        RawPeer? peer = null;
        await using var _ = peer = new RawPeer(async (socket, _) =>
        {
            await peer!.ReadRequestAsync(socket);
            await RawPeer.WriteAsync(socket, "00010abc");
            socket.Shutdown(SocketShutdown.Both);
            socket.Close();
        });
        using var log = new ClientLogCapture();
        await using var client = new PluggableNetClient(ClientHosts.Options(peer.EndPoint), log.Logger);

        var failure = await Assert.ThrowsAsync<PluggableNetConnectionException>(() => client.SendStringAsync("hello").AsTask());

        Assert.True(failure.MayHaveBeenProcessed);
        Assert.Equal(peer.EndPoint, failure.Endpoint);
        Assert.Contains("in the middle of an answer", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, peer.Requests);
        Assert.True(log.Log.Contains("in the middle of an answer"), "the broken connection is logged");
    }

    [Fact]
    public async Task ServerResettingAfterTheRequestFailsItAsPossiblyProcessed()
    {
        RawPeer? peer = null;
        await using var _ = peer = new RawPeer(async (socket, _) =>
        {
            await peer!.ReadRequestAsync(socket);
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        });
        await using var client = new PluggableNetClient(ClientHosts.Options(peer.EndPoint));

        var failure = await Assert.ThrowsAsync<PluggableNetConnectionException>(() => client.SendStringAsync("hello").AsTask());

        Assert.True(failure.MayHaveBeenProcessed);
        Assert.Contains("reset", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IdempotentRequestIsRetriedOnceOnTheOtherEndpoint()
    {
        RawPeer? broken = null;
        await using var _ = broken = new RawPeer(async (socket, _) =>
        {
            await broken!.ReadRequestAsync(socket);
            await RawPeer.WriteAsync(socket, "00005ol");
            socket.Close();
        });
        await using var server = TestServer.Start("Sockets");
        var options = ClientHosts.Options(broken.EndPoint, server.EndPoint);
        options.Selection = EndpointSelection.RoundRobin;
        await using var client = new PluggableNetClient(options);

        // Whichever endpoint each request tries first, every idempotent one is answered, by the real host.
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("olleh", System.Text.Encoding.UTF8.GetString(await client.SendAsync("hello"u8.ToArray(), new RequestOptions(Idempotent: true))));
        }

        Assert.True(broken.Requests >= 1, "the broken endpoint was tried");
    }

    [Fact]
    public async Task IdempotentRequestIsRetriedOnlyOnce()
    {
        RawPeer? first = null, second = null;
        Func<Socket, int, Task> halfAnswer(Func<RawPeer> peer) => async (socket, _) =>
        {
            await peer().ReadRequestAsync(socket);
            await RawPeer.WriteAsync(socket, "00005ol");
            socket.Close();
        };
        await using var a = first = new RawPeer(halfAnswer(() => first!));
        await using var b = second = new RawPeer(halfAnswer(() => second!));
        var options = ClientHosts.Options(a.EndPoint, b.EndPoint);
        options.Idempotent = true;
        await using var client = new PluggableNetClient(options);

        var failure = await Assert.ThrowsAsync<PluggableNetConnectionException>(() => client.SendStringAsync("hello").AsTask());

        Assert.True(failure.MayHaveBeenProcessed);
        Assert.Equal(2, a.Requests + b.Requests);
        Assert.Equal(1, a.Requests);
        Assert.Equal(1, b.Requests);
        Assert.Equal(new ClientCounters(Resent: 0, Retried: 1, ConnectionFailures: 1, Timeouts: 0), client.Counters);
    }

    [Fact]
    public async Task RequestNotMarkedIdempotentIsNotRetried()
    {
        RawPeer? broken = null;
        await using var _ = broken = new RawPeer(async (socket, _) =>
        {
            // Reset, not a FIN at a frame boundary: that would be a graceful close, after which requests are resent.
            await broken!.ReadRequestAsync(socket);
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        });
        await using var server = TestServer.Start("Sockets");
        var options = ClientHosts.Options(broken.EndPoint, server.EndPoint);
        options.Selection = EndpointSelection.RoundRobin;
        await using var client = new PluggableNetClient(options);

        // Round-robin sends the first request to the broken peer (or the second one, if the first went to the host).
        var outcomes = new List<Exception?>();
        for (var i = 0; i < 2; i++)
        {
            outcomes.Add(await Record.ExceptionAsync(() => client.SendStringAsync("hello").AsTask()));
        }

        var failure = Assert.IsType<PluggableNetConnectionException>(Assert.Single(outcomes, o => o is not null));
        Assert.True(failure.MayHaveBeenProcessed);
        Assert.Equal(1, broken.Requests);
    }

    [Fact]
    public async Task NoReachableEndpointFailsAsNotProcessed()
    {
        // Bound but not listening: connects are refused.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        await using var client = new PluggableNetClient(ClientHosts.Options((System.Net.IPEndPoint)closed.LocalEndPoint!));

        var failure = await Assert.ThrowsAsync<PluggableNetConnectionException>(() => client.SendStringAsync("hello").AsTask());

        Assert.False(failure.MayHaveBeenProcessed);
        Assert.Contains("refused", failure.Message, StringComparison.OrdinalIgnoreCase);
    }
}
