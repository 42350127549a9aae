using System.Text;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.EndToEnd;

/// <summary>
/// <c>Server:ProxyProtocol</c>: a trusted proxy's PROXY header (HAProxy's v1 text or v2 binary) names the real client,
/// who then stands for the peer in the host's log; from anyone else, or malformed, the connection is closed and logged.
/// </summary>
public sealed class ProxyProtocolTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ATrustedProxysV1HeaderNamesTheClient(string transport)
    {
        await using var server = TestServer.Start(transport, ("Server:ProxyProtocol", "true"), ("Server:TrustedProxies", "127.0.0.0/8, ::1"));
        using var client = server.Connect();

        await client.SendRawAsync("PROXY TCP4 203.0.113.7 127.0.0.1 51000 9090\r\n00005abcde");

        Assert.Equal("edcba", Encoding.ASCII.GetString(await client.ReadFrameAsync()));
        await server.Log.WaitForAsync(": client 203.0.113.7:51000");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ATrustedProxysV2HeaderNamesTheClientOfAV2Connection(string transport)
    {
        await using var server = TestServer.Start(transport, ("Server:ProxyProtocol", "true"), ("Server:TrustedProxies", "127.0.0.1"));
        using var connection = V2Connection.Connect(server.EndPoint);

        await connection.SendRawAsync([.. ProxyV2Header([198, 51, 100, 9], 40000), .. Preface.Bytes.ToArray()]);
        await connection.ReadPrefaceAsync();

        Assert.Equal("olleh", await connection.AskAsync(1, "hello"));
        await server.Log.WaitForAsync(": client 198.51.100.9:40000");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AHeaderFromAnUntrustedAddressIsRefused(string transport)
    {
        await using var server = TestServer.Start(transport, ("Server:ProxyProtocol", "true"), ("Server:TrustedProxies", "10.0.0.0/8"));
        using var client = server.Connect();

        await client.SendRawAsync("PROXY TCP4 203.0.113.7 127.0.0.1 51000 9090\r\n00005abcde");

        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "a PROXY header from an untrusted address was accepted");
        await server.Log.WaitForAsync("PROXY protocol header refused (the peer is not in Server:TrustedProxies)");
        Assert.Equal(1, server.Server.Status().ProtocolErrors["proxy_header"]);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AConnectionWithoutAHeaderIsRefusedWhenOneIsExpected(string transport)
    {
        await using var server = TestServer.Start(transport, ("Server:ProxyProtocol", "true"), ("Server:TrustedProxies", "127.0.0.1"));
        using var client = server.Connect();

        await client.SendRawAsync("00005abcde");

        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "a connection without its PROXY header was served");
        await server.Log.WaitForAsync("PROXY protocol header refused");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task WithoutTheSettingAHeaderIsAnInvalidV1Header(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var client = server.Connect();

        await client.SendRawAsync("PROXY TCP4 203.0.113.7 127.0.0.1 51000 9090\r\n00005abcde");

        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        await server.Log.WaitForAsync("invalid frame header (not all digits: \"PROXY\")");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task PerAddressLimitsCountTheClientTheProxyNamesNotTheProxy(string transport)
    {
        await using var server = TestServer.Start(
            transport, ("Server:ProxyProtocol", "true"), ("Server:TrustedProxies", "127.0.0.1"), ("Limits:MaxConnectionsPerAddress", "2"));
        using var first = server.Connect();
        using var second = server.Connect();
        using var third = server.Connect();
        using var other = server.Connect();

        await first.SendRawAsync("PROXY TCP4 203.0.113.7 127.0.0.1 51000 9090\r\n00005abcde");
        await second.SendRawAsync((byte[])[.. ProxyV2Header([203, 0, 113, 7], 51001), .. "00003xyz"u8.ToArray()]);
        Assert.Equal("edcba", Encoding.ASCII.GetString(await first.ReadFrameAsync()));
        Assert.Equal("zyx", Encoding.ASCII.GetString(await second.ReadFrameAsync()));

        // The same client a third time, through the same proxy: refused once its header is read, closed at once.
        await third.SendRawAsync("PROXY TCP4 203.0.113.7 127.0.0.1 51002 9090\r\n00005abcde");
        Assert.True(await third.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "a third connection of a client capped at 2 was served");
        await server.Log.WaitForAsync("Connection from 203.0.113.7:51002 refused: its address 203.0.113.7 opened 2 connection(s) open already");

        // Another client through the same proxy (whose own address now carries four connections) is served.
        await other.SendRawAsync("PROXY TCP4 198.51.100.9 127.0.0.1 40000 9090\r\n00005hello");
        Assert.Equal("olleh", Encoding.ASCII.GetString(await other.ReadFrameAsync()));
        Assert.Equal(1, server.Server.Status().Rejections["address_connections"]);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ClientsOfOneIPv6Slash64NamedByTheProxyShareOneLimit(string transport)
    {
        await using var server = TestServer.Start(
            transport, ("Server:ProxyProtocol", "true"), ("Server:TrustedProxies", "127.0.0.1"), ("Limits:MaxConnectionsPerAddress", "1"));
        using var first = server.Connect();
        using var sameSlash64 = server.Connect();
        using var nextSlash64 = server.Connect();

        await first.SendRawAsync("PROXY TCP6 2001:db8:1:2::1 ::1 51000 9090\r\n00005abcde");
        Assert.Equal("edcba", Encoding.ASCII.GetString(await first.ReadFrameAsync()));

        await sameSlash64.SendRawAsync("PROXY TCP6 2001:db8:1:2:ffff::99 ::1 51001 9090\r\n00005abcde");
        Assert.True(await sameSlash64.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "a second address of the same /64 escaped its cap");
        await server.Log.WaitForAsync("its address 2001:db8:1:2::/64 opened 1 connection(s) open already");

        await nextSlash64.SendRawAsync("PROXY TCP6 2001:db8:1:3::1 ::1 51002 9090\r\n00005abcde");
        Assert.Equal("edcba", Encoding.ASCII.GetString(await nextSlash64.ReadFrameAsync()));
    }

    /// <summary>A PROXY v2 header (PROXY command, TCP over IPv4) naming <paramref name="source"/>:<paramref name="port"/>.</summary>
    private static byte[] ProxyV2Header(byte[] source, ushort port)
    {
        byte[] signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
        return [.. signature, 0x21, 0x11, 0x00, 0x0C, .. source, 127, 0, 0, 1, (byte)(port >> 8), (byte)port, 0x23, 0x82];
    }
}
