using System.Security.Authentication;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Tls;

/// <summary>
/// <c>Tls:Enabled</c>: protocol v1 and v2 (the preface inside TLS) over TLS 1.2 and 1.3, PEM and PFX certificates, on
/// both settings of <c>Server:Transport</c> (a TLS endpoint is served by the sockets transport either way).
/// </summary>
public sealed class TlsServingTests
{
    public static TheoryData<string, SslProtocols> TransportsAndVersions
    {
        get
        {
            var data = new TheoryData<string, SslProtocols>();
            foreach (var transport in TransportData.All)
            {
                data.Add(transport, SslProtocols.Tls12);
                data.Add(transport, SslProtocols.Tls13);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TransportsAndVersions))]
    public async Task V1RequestsAreAnsweredOverTls(string transport, SslProtocols version)
    {
        using var files = new TlsFolder();
        var certificate = files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server"));

        using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost", version);

        Assert.Equal(version, client.Protocol);
        Assert.Equal(certificate.Thumbprint, client.ServerCertificate.Thumbprint);
        Assert.Equal("olleh", await client.AskAsync("hello"));
        Assert.Equal("dlrow", await client.AskAsync("world"));
        var status = server.Server.Status();
        Assert.Equal("Sockets", status.Transport);
        Assert.Equal(1, status.Tls!.Handshakes[version == SslProtocols.Tls13 ? "1.3" : "1.2"]);
    }

    [Theory]
    [MemberData(nameof(TransportsAndVersions))]
    public async Task TheV2PrefaceInsideTlsNegotiatesV2(string transport, SslProtocols version)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server"));

        using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost", version);
        await client.OpenV2Async();

        Assert.Equal("olleh", await client.AskV2Async(1, "hello"));
        Assert.Equal("cba", await client.AskV2Async(3, "abc"));
        Assert.Equal(1, server.Server.Status().V2Connections);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AV2AnswerFromAnOffloadedCallWakesAConnectionWaitingInsideTls(string transport)
    {
        // The loop waits in a TLS read; the offloaded answer's wake cancels that read, and the stream goes on after it.
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = PluggableNet.Tests.Hardening.HardeningPlugins.Start(transport, PluggableNet.Tests.Hardening.HardeningPlugins.Slow, files.Settings("server"));
        using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost");
        await client.OpenV2Async();

        // Request ids only grow on a v2 connection.
        for (var id = 1u; id <= 10; id += 2)
        {
            Assert.Equal("1", await client.AskV2Async(id, "sleep:50"));
            Assert.Equal("olleh", await client.AskV2Async(id + 1, "hello"));
        }
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APfxWithAPasswordServes(string transport)
    {
        using var files = new TlsFolder();
        var certificate = TestCertificates.Server(files.Authority, "localhost");
        TestCertificates.WritePfx(certificate, files.File("server.pfx"), "s3cret", files.Authority);
        await using var server = TestServer.Start(transport, ("Tls:Enabled", "true"), ("Tls:PfxPath", files.File("server.pfx")), ("Tls:Password", "s3cret"));

        using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost");

        Assert.Equal(certificate.Thumbprint, client.ServerCertificate.Thumbprint);
        Assert.Equal("olleh", await client.AskAsync("hello"));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task OnlyTheConfiguredVersionIsOffered(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server", ("Tls:Protocols", "Tls13")));

        await Assert.ThrowsAnyAsync<Exception>(() => TlsClient.ConnectAsync(server.EndPoint, "localhost", SslProtocols.Tls12));
        using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost");

        Assert.Equal(SslProtocols.Tls13, client.Protocol);
        await Wait.UntilAsync(() => server.Server.Status().Tls!.HandshakeFailures["refused"] == 1, because: "the TLS 1.2 client's handshake counted as refused");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APlainTextClientIsRefusedLoggedAndCounted(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server"));
        using var client = server.Connect();

        await client.SendRawAsync("00005hello");

        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "a plain-text client was served on a TLS endpoint");
        await server.Log.WaitForAsync("TLS handshake failed (refused:");
        Assert.Equal(1, server.Server.Status().Tls!.HandshakeFailures["refused"]);
        Assert.Equal(0, server.Server.Status().Requests);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AHandshakeThatStallsIsClosedAtTheHandshakeTimeout(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server", ("Tls:HandshakeTimeout", "0.3")));
        using var silent = server.Connect();

        Assert.True(await silent.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "a client that never said hello was kept past the handshake timeout");
        await server.Log.WaitForAsync("TLS handshake failed (timeout: not done within Tls:HandshakeTimeout 0.3 s)");
        Assert.Equal(1, server.Server.Status().Tls!.HandshakeFailures["timeout"]);
        await Wait.UntilAsync(() => server.Server.Status().Connections == 0, because: "the timed-out connection closed");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AClientThatClosesBeforeItsHelloIsCountedNotLogged(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server"));

        // A balancer's TCP check: connect, close.
        server.Connect().Dispose();

        await Wait.UntilAsync(() => server.Server.Status().Tls!.HandshakeFailures["closed"] == 1, because: "the closed check counted");
        Assert.False(server.Log.Contains("TLS handshake failed", Serilog.Events.LogEventLevel.Information));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ATrustedProxysHeaderComesBeforeTheHandshake(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server", ("Server:ProxyProtocol", "true"), ("Server:TrustedProxies", "127.0.0.1")));

        using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost", before: "PROXY TCP4 203.0.113.7 127.0.0.1 51000 9090\r\n"u8.ToArray());

        Assert.Equal("olleh", await client.AskAsync("hello"));
        await server.Log.WaitForAsync(": client 203.0.113.7:51000");
    }
}
