using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Tls;

/// <summary>
/// <c>Tls:Certificates:&lt;Name&gt;</c>: the certificate is chosen by the name the client sends (SNI), as Kestrel's SNI
/// section and nginx's <c>server_name</c> choose: an exact name, then a one-label wildcard, then the default certificate,
/// which also serves a client that sends no name.
/// </summary>
public sealed class SniTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task EachNameGetsItsCertificate(string transport)
    {
        using var files = new TlsFolder();
        var fallback = files.WritePem("default", "default.test");
        var api = files.WritePem("api", "api.example.test");
        var wildcard = files.WritePem("wild", "*.apps.example.test");
        await using var server = TestServer.Start(transport, files.Settings(
            "default",
            ("Tls:Certificates:Api:CertificatePath", files.File("api.crt")),
            ("Tls:Certificates:Api:KeyPath", files.File("api.key")),
            ("Tls:Certificates:Api:HostNames", "api.example.test"),
            ("Tls:Certificates:Apps:CertificatePath", files.File("wild.crt")),
            ("Tls:Certificates:Apps:KeyPath", files.File("wild.key")),
            ("Tls:Certificates:Apps:HostNames", "*.apps.example.test")));

        Assert.Equal(api.Thumbprint, await ThumbprintFor(server, "api.example.test"));
        Assert.Equal(api.Thumbprint, await ThumbprintFor(server, "API.Example.Test"));
        Assert.Equal(wildcard.Thumbprint, await ThumbprintFor(server, "shop.apps.example.test"));
        Assert.Equal(fallback.Thumbprint, await ThumbprintFor(server, "a.shop.apps.example.test"));
        Assert.Equal(fallback.Thumbprint, await ThumbprintFor(server, "apps.example.test"));
        Assert.Equal(fallback.Thumbprint, await ThumbprintFor(server, "other.test"));
        Assert.Equal(fallback.Thumbprint, await ThumbprintFor(server, serverName: null));

        var certificates = server.Server.Status().Tls!.Certificates;
        Assert.Equal(["default", "Api", "Apps"], certificates.Select(c => c.Name));
        Assert.Equal(["*.apps.example.test"], certificates[2].HostNames);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnSniCertificateMayBeAPfx(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("default", "default.test");
        var api = TestCertificates.Server(files.Authority, "api.example.test");
        TestCertificates.WritePfx(api, files.File("api.pfx"), password: null, files.Authority);
        await using var server = TestServer.Start(transport, files.Settings(
            "default",
            ("Tls:Certificates:Api:PfxPath", files.File("api.pfx")),
            ("Tls:Certificates:Api:HostNames", "api.example.test, api2.example.test")));

        Assert.Equal(api.Thumbprint, await ThumbprintFor(server, "api2.example.test"));
    }

    private static async Task<string> ThumbprintFor(TestServer server, string? serverName)
    {
        using var client = await TlsClient.ConnectAsync(server.EndPoint, serverName);
        Assert.Equal("olleh", await client.AskAsync("hello"));
        return client.ServerCertificate.Thumbprint;
    }
}
