using PluggableNet.Client;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Hardening;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Client;

/// <summary>
/// The client speaking protocol v2 to the real host, on both transports: answers matched by id (a fast request
/// overtakes a slow one), a plugin fault as a typed error on a connection that stays open, a cancel that reaches the
/// plugin, the host's PINGs answered, a drain whose GOAWAY and SHUTTING_DOWN errors make the client resend exactly
/// what was not processed, and a host refusing v2.
/// </summary>
public sealed class V2ClientTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task EveryCallerGetsItsOwnAnswerOverV2Connections(string transport)
    {
        await using var server = TestServer.Start(transport);
        await using var client = new PluggableNetClient(V2Options(server));

        var callers = Enumerable.Range(0, 16).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                var request = $"caller-{caller}-request-{i}-{new string('x', i % 13)}";
                Assert.Equal(ClientHosts.Reverse(request), await client.SendStringAsync(request));
            }
        }));
        await Task.WhenAll(callers);
        Assert.Equal(string.Empty, await client.SendStringAsync(string.Empty));

        var status = server.Server.Status();
        Assert.Equal(status.AcceptedConnections, status.V2Connections);
        Assert.InRange(status.V2Connections, 1, 2);
        Assert.Equal((16 * 100) + 1, status.Requests);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AFastRequestOvertakesASlowOneOnTheSameConnection(string transport)
    {
        await using var server = HardeningPlugins.Start(transport, HardeningPlugins.Slow);
        var options = V2Options(server);
        options.ConnectionsPerEndpoint = 1;
        await using var client = new PluggableNetClient(options);
        Assert.Equal("mraw", await client.SendStringAsync("warm"));

        var slow = client.SendStringAsync("sleep:1500").AsTask();
        var fast = client.SendStringAsync("fast").AsTask();

        Assert.Equal("tsaf", await fast);
        Assert.False(slow.IsCompleted, "the fast answer came before the slow one");
        Assert.Equal("1", await slow);
        Assert.Equal(1, server.Server.Status().AcceptedConnections);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APluginFaultIsATypedErrorAndTheConnectionStaysOpen(string transport)
    {
        await using var server = HardeningPlugins.Start(transport, HardeningPlugins.Faulty);
        await using var client = new PluggableNetClient(V2Options(server));

        var failure = await Assert.ThrowsAsync<PluggableNetRequestException>(() => client.SendStringAsync("throw").AsTask());

        Assert.Equal(ErrorCode.PluginFault, failure.Code);
        Assert.True(failure.MayHaveBeenProcessed);
        Assert.Contains("InvalidOperationException", failure.Message, StringComparison.Ordinal);
        Assert.Equal("retfa", await client.SendStringAsync("after"));
        Assert.Equal(1, server.Server.Status().AcceptedConnections);
        Assert.Equal(0, client.Counters.ConnectionFailures);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task CancellingReachesThePluginsToken(string transport)
    {
        // "hang" waits on its CancellationToken only; ProcessTimeout (30 s) would end it far later than the wait below.
        await using var server = HardeningPlugins.Start(transport, HardeningPlugins.Slow);
        var options = V2Options(server);
        options.ConnectionsPerEndpoint = 1;
        await using var client = new PluggableNetClient(options);
        using var cancellation = new CancellationTokenSource();

        var hanging = client.SendStringAsync("hang", cancellation.Token).AsTask();
        await Wait.UntilAsync(() => server.Server.Status().OffloadsActive == 1, because: "the plugin runs the request");
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hanging);
        await Wait.UntilAsync(() => server.Server.Status().OffloadsActive == 0, TimeSpan.FromSeconds(5), "the CANCEL signalled the plugin's token");
        Assert.Equal("retfa", await client.SendStringAsync("after"));
        Assert.Equal(1, server.Server.Status().AcceptedConnections);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TheHostsPingsAreAnsweredSoAQuietConnectionLives(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:PingInterval", "0.3"), ("Limits:PingTimeout", "0.5"));
        var options = V2Options(server);
        options.PingInterval = Timeout.InfiniteTimeSpan;
        await using var client = new PluggableNetClient(options);
        Assert.Equal("olleh", await client.SendStringAsync("hello"));
        var before = server.Server.Status().BytesReceived;

        // Quiet from the caller: all the host receives now is PONGs, at least a header each; two of them means the
        // connection outlived a first PingTimeout.
        await Wait.UntilAsync(() => server.Server.Status().BytesReceived >= before + (2 * FrameHeader.Size), because: "the client answered two PINGs");

        Assert.Equal("niaga", await client.SendStringAsync("again"));
        Assert.Equal(1, server.Server.Status().AcceptedConnections);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ADrainingHostsRequestsAreResentElsewhereAndNoneIsProcessedTwice(string transport)
    {
        // Slow: "sleep:MS" holds A's drain open for a while, so requests keep arriving at it meanwhile (answered
        // SHUTTING_DOWN, or above GOAWAY's last id); everything else is reversed at once.
        await using var draining = HardeningPlugins.Start(transport, HardeningPlugins.Slow);
        await using var staying = HardeningPlugins.Start(transport, HardeningPlugins.Slow);
        var options = ClientHosts.Options(draining.EndPoint, staying.EndPoint);
        options.Protocol = ClientProtocol.V2;

        // Every other request to the draining host, so some arrive there while it drains.
        options.Selection = EndpointSelection.RoundRobin;
        await using var client = new PluggableNetClient(options);

        using var stop = new CancellationTokenSource();
        var answered = 0;
        var callers = Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var request = i % 10 == 0 ? "sleep:300" : $"c{caller}-{i}";
                var answer = await client.SendStringAsync(request);
                if (!request.StartsWith("sleep:", StringComparison.Ordinal))
                {
                    Assert.Equal(ClientHosts.Reverse(request), answer);
                }

                Interlocked.Increment(ref answered);
            }
        }));
        var load = Task.WhenAll(callers);
        await Wait.UntilAsync(() => draining.Server.Status().Requests > 200 && staying.Server.Status().Requests > 200, TimeSpan.FromSeconds(20), "both hosts take requests");

        await draining.Server.StopAsync();
        var afterDrain = Volatile.Read(ref answered);
        await Wait.UntilAsync(() => Volatile.Read(ref answered) > afterDrain + 200, TimeSpan.FromSeconds(20), "the load goes on at the other host");
        await stop.CancelAsync();
        await load;

        // Each request processed once: what the two hosts processed is what the callers got answered. How many the drain
        // refused (and the client resent) depends on timing, 0 to a few; V2ClientPeerTests pins the resend itself down.
        Assert.Equal(Volatile.Read(ref answered), draining.Server.Status().Requests + staying.Server.Status().Requests);
        Assert.Equal(0, client.Counters.ConnectionFailures);
        Assert.Equal(0, client.Counters.Timeouts);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AHostThatRefusesV2FailsTheConnectAndProcessesNothing(string transport)
    {
        await using var server = TestServer.Start(transport, ("Framing:AllowV2", "false"));
        await using var client = new PluggableNetClient(V2Options(server));

        var failure = await Assert.ThrowsAsync<PluggableNetConnectionException>(() => client.SendStringAsync("hello").AsTask());

        Assert.False(failure.MayHaveBeenProcessed);
        Assert.Contains("does not speak protocol v2", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Server.Status().Requests);
    }

    [Fact]
    public async Task AV1ClientStaysV1OnAHostThatAllowsV2()
    {
        await using var server = TestServer.Start("Sockets");
        await using var client = new PluggableNetClient(ClientHosts.Options(server.EndPoint));

        Assert.Equal("olleh", await client.SendStringAsync("hello"));
        Assert.Equal(0, server.Server.Status().V2Connections);
        Assert.Throws<ArgumentException>(() => client.SendAsync(ReadOnlyMemory<byte>.Empty));
    }

    private static PluggableNetClientOptions V2Options(TestServer server)
    {
        var options = ClientHosts.Options(server.EndPoint);
        options.Protocol = ClientProtocol.V2;
        return options;
    }
}
