using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using PluggableNet.Client;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Client;

/// <summary>
/// <see cref="PluggableNetClientOptions.UseTls"/> against a TLS host on both transports: v1 and v2 inside TLS, the SNI
/// name picking the host's certificate, a client certificate for mutual TLS, and a host certificate the client's
/// validation refuses failing the connect with the reason.
/// </summary>
public sealed class TlsClientTests
{
    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RequestsAreAnsweredOverTls(string transport, ClientProtocol protocol)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server"));
        await using var client = new PluggableNetClient(Options(server, files, protocol));

        Assert.Equal("olleh", await client.SendStringAsync("hello"));
        Assert.Equal("dlrow", await client.SendStringAsync("world"));
        Assert.Equal(protocol == ClientProtocol.V2 ? 1 : 0, server.Server.Status().V2Connections);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TheTargetHostIsSentAsSni(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "default.test");
        var api = files.WritePem("api", "api.example.test");
        await using var server = TestServer.Start(transport, files.Settings(
            "server",
            ("Tls:Certificates:Api:CertificatePath", files.File("api.crt")),
            ("Tls:Certificates:Api:KeyPath", files.File("api.key")),
            ("Tls:Certificates:Api:HostNames", "api.example.test")));
        string? seen = null;
        var options = Options(server, files, ClientProtocol.V1, "api.example.test");
        var trust = options.TlsCertificateValidation!;
        options.TlsCertificateValidation = (sender, certificate, chain, errors) =>
        {
            seen = certificate?.GetCertHashString();
            return trust(sender, certificate, chain, errors);
        };
        await using var client = new PluggableNetClient(options);

        Assert.Equal("olleh", await client.SendStringAsync("hello"));
        Assert.Equal(api.Thumbprint, seen);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AClientCertificateIsPresentedWhenTheHostAsks(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server", ("Tls:ClientCertificateMode", "RequireCertificate"), ("Tls:ClientCaPath", files.WriteAuthority())));
        var options = Options(server, files, ClientProtocol.V1);
        options.TlsClientCertificate = TestCertificates.Client(files.Authority, "CN=client-library");
        await using var client = new PluggableNetClient(options);

        Assert.Equal("olleh", await client.SendStringAsync("hello"));
        await server.Log.WaitForAsync("client certificate CN=client-library");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnUntrustedHostCertificateFailsTheConnectWithTheReason(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server"));
        var options = Options(server, files, ClientProtocol.V1);

        // The platform's own validation: the test CA is no system root.
        options.TlsCertificateValidation = null;
        await using var client = new PluggableNetClient(options);

        var exception = await Assert.ThrowsAsync<PluggableNetConnectionException>(async () => await client.SendStringAsync("hello"));
        Assert.Contains("TLS handshake failed", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Server.Status().Requests);
    }

    public static TheoryData<string, ClientProtocol> Cases
    {
        get
        {
            var data = new TheoryData<string, ClientProtocol>();
            foreach (var transport in TransportData.All)
            {
                data.Add(transport, ClientProtocol.V1);
                data.Add(transport, ClientProtocol.V2);
            }

            return data;
        }
    }

    /// <summary>TLS to <paramref name="server"/>, trusting the test CA only (as an operator trusts a private CA).</summary>
    private static PluggableNetClientOptions Options(TestServer server, TlsFolder files, ClientProtocol protocol, string targetHost = "localhost")
    {
        var options = new PluggableNetClientOptions { Protocol = protocol, UseTls = true, TlsTargetHost = targetHost };
        options.Endpoints.Add(server.EndPoint);
        var authority = files.Authority;
        options.TlsCertificateValidation = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
        return options;
    }
}
