using System.Net;
using System.Text;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Fleet;

/// <summary>
/// A real HAProxy sending the PROXY protocol (<c>send-proxy-v2</c> on the shipped recipe's server line, which its health
/// checks then send too): the host sees the client's address, not HAProxy's.
/// </summary>
public sealed class ProxyProtocolBehindHaproxyTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TheHostSeesTheClientsAddressThroughHaproxy(string transport)
    {
        await using var server = TestServer.Start(transport, ("Server:ProxyProtocol", "true"), ("Server:TrustedProxies", "127.0.0.1"));
        await using var haproxy = await StartAsync(server);
        using var client = FrameClient.Connect(haproxy.EndPoint);
        var clientPort = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;

        Assert.Equal("olleh", await client.AskAsync("hello"));

        await server.Log.WaitForAsync($"PROXY v2 from 127.0.0.1:");
        await server.Log.WaitForAsync($": client 127.0.0.1:{clientPort}");
        Assert.True(server.Server.Status().ProtocolErrors["proxy_header"] == 0, string.Join(Environment.NewLine, server.Log.Messages()));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ASessionPluginSeesTheClientsAddressThroughHaproxy(string transport)
    {
        await using var harness = Sessions.SessionHarness.Start(transport, 1, false, false, ("Server:ProxyProtocol", "true"), ("Server:TrustedProxies", "127.0.0.1"));
        await using var haproxy = await StartAsync(harness.Server);
        using var client = FrameClient.Connect(haproxy.EndPoint);
        var clientPort = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;

        // The session's RemoteEndPoint is the client's own address and port, not HAProxy's.
        Assert.StartsWith($"127.0.0.1:{clientPort};", await client.AskAsync("WHOAMI"), StringComparison.Ordinal);
    }

    private static async Task<HaproxyProcess> StartAsync(TestServer server)
    {
        try
        {
            return await HaproxyProcess.StartAsync([("host1", server.EndPoint.Port)], serverOptions: "send-proxy-v2 check-send-proxy");
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException(exception.Message + Environment.NewLine + string.Join(Environment.NewLine, server.Log.Messages()), exception);
        }
    }
}
