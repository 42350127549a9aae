using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Tls;

/// <summary>
/// Mutual TLS (<c>Tls:ClientCertificateMode</c>, <c>Tls:ClientCaPath</c>): a certificate from the trusted CA is accepted
/// and its subject kept on the connection; none, or one from another CA, is refused and counted. Under TLS 1.3 the client
/// finishes its handshake before the server has judged its certificate, so a refusal shows on the client's first read.
/// </summary>
public sealed class ClientCertificateTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ACertificateFromTheTrustedCaIsAcceptedAndItsSubjectKept(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = Start(transport, files, "RequireCertificate");
        var alice = TestCertificates.Client(files.Authority, "CN=alice, O=Example");

        using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost", clientCertificate: alice);

        Assert.Equal("olleh", await client.AskAsync("hello"));
        await server.Log.WaitForAsync("client certificate CN=alice, O=Example");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task NoCertificateIsRefusedWhenOneIsRequired(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = Start(transport, files, "RequireCertificate");

        await AssertRefusedAsync(server, clientCertificate: null);

        await server.Log.WaitForAsync("TLS handshake failed (client_certificate: no client certificate)");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ACertificateFromAnotherCaIsRefused(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = Start(transport, files, "AllowCertificate");
        var mallory = TestCertificates.Client(TestCertificates.Authority("Some Other CA"), "CN=mallory");

        await AssertRefusedAsync(server, mallory);

        await server.Log.WaitForAsync("client certificate CN=mallory refused");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AllowCertificateServesAClientWithoutOne(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = Start(transport, files, "AllowCertificate");

        using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost");

        Assert.Equal("olleh", await client.AskAsync("hello"));
        Assert.Equal(0, server.Server.Status().Tls!.HandshakeFailures["client_certificate"]);
    }

    private static TestServer Start(string transport, TlsFolder files, string mode) =>
        TestServer.Start(transport, files.Settings("server", ("Tls:ClientCertificateMode", mode), ("Tls:ClientCaPath", files.WriteAuthority())));

    private static async Task AssertRefusedAsync(TestServer server, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate)
    {
        try
        {
            using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost", clientCertificate: clientCertificate);

            // TLS 1.3: the handshake ended on the client's side; the server's alert ends the stream.
            await client.WriteAsync(Frames.Ascii("hello"));
            Assert.True(await client.WaitForCloseAsync(), "a refused client certificate was served");
        }
        catch (Exception exception) when (exception is IOException or System.Security.Authentication.AuthenticationException)
        {
            // TLS 1.2, or the alert came during the handshake.
        }

        await Wait.UntilAsync(() => server.Server.Status().Tls!.HandshakeFailures["client_certificate"] == 1, because: "the refusal counted as client_certificate");
        Assert.Equal(0, server.Server.Status().Requests);
    }
}
