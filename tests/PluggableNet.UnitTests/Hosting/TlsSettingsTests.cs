using System.Security.Authentication;
using Microsoft.Extensions.Configuration;
using PluggableNet.Server;
using PluggableNet.Server.Reload;
using PluggableNet.Server.Transport.Tls;

namespace PluggableNet.UnitTests.Hosting;

/// <summary>
/// The <c>Tls:*</c> keys: read into <see cref="TlsSettings"/>, every bad value an error naming its full key path, also
/// when the section sits under another prefix (as <c>Endpoints:&lt;Name&gt;:Tls</c> will). Files are not read here.
/// </summary>
public sealed class TlsSettingsTests
{
    [Fact]
    public void TlsIsOffByDefaultAndOffersBothVersions()
    {
        var settings = ServerSettings.Read(new ConfigurationBuilder().Build()).Tls;

        Assert.False(settings.Enabled);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, settings.Protocols);
        Assert.Equal(ClientCertificateMode.NoCertificate, settings.ClientCertificateMode);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.HandshakeTimeout);
        Assert.Empty(settings.Certificates);
    }

    [Fact]
    public void TheDefaultAndTheSniCertificatesAreRead()
    {
        var settings = Read(
            ("Tls:Enabled", "true"),
            ("Tls:CertificatePath", "/etc/tls/fullchain.pem"),
            ("Tls:KeyPath", "/etc/tls/privkey.pem"),
            ("Tls:Protocols", "Tls13"),
            ("Tls:Certificates:Api:PfxPath", "/etc/tls/api.pfx"),
            ("Tls:Certificates:Api:Password", "pw"),
            ("Tls:Certificates:Api:HostNames", "api.example.com, *.API.example.com"));

        Assert.Equal(SslProtocols.Tls13, settings.Protocols);
        Assert.Collection(
            settings.Certificates,
            c => Assert.Equal(("default", "Tls", "/etc/tls/fullchain.pem", "/etc/tls/privkey.pem"), (c.Name, c.Key, c.CertificatePath, c.KeyPath)),
            c =>
            {
                Assert.Equal(("Api", "Tls:Certificates:Api", "/etc/tls/api.pfx", "pw"), (c.Name, c.Key, c.PfxPath, c.Password?.Value));
                Assert.Equal(["api.example.com", "*.api.example.com"], c.HostNames);
            });
        Assert.Equal(["/etc/tls/fullchain.pem", "/etc/tls/privkey.pem", "/etc/tls/api.pfx"], settings.Files);
    }

    [Fact]
    public void ProtocolsMayBeAJsonArray()
    {
        var settings = Read(("Tls:Protocols:0", "Tls12"), ("Tls:Protocols:1", "tls13"));

        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, settings.Protocols);
    }

    [Theory]
    [InlineData("Tls:Enabled", "yes", "Tls:Enabled: 'yes' is not true or false.")]
    [InlineData("Tls:Protocols", "Tls11", "Tls:Protocols: 'Tls11' is not one of Tls12, Tls13.")]
    [InlineData("Tls:ClientCertificateMode", "Sometimes", "Tls:ClientCertificateMode: 'Sometimes' is not one of NoCertificate, AllowCertificate, RequireCertificate.")]
    [InlineData("Tls:HandshakeTimeout", "soon", "Tls:HandshakeTimeout: 'soon' is not a duration")]
    public void BadValuesAreErrorsNamingTheirKey(string key, string value, string expected)
    {
        var error = Errors(("Tls:Enabled", "true"), ("Tls:CertificatePath", "/x.pem"), (key, value));

        Assert.Contains(error, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void EnabledNeedsACertificate()
    {
        Assert.Contains(Errors(("Tls:Enabled", "true")), e => e.StartsWith("Tls:CertificatePath: required with Tls:Enabled true", StringComparison.Ordinal));
    }

    [Fact]
    public void APfxAndAPemPairAreNotBothGiven()
    {
        Assert.Contains(
            Errors(("Tls:Enabled", "true"), ("Tls:CertificatePath", "/x.pem"), ("Tls:PfxPath", "/x.pfx")),
            e => e.StartsWith("Tls:PfxPath: give either Tls:PfxPath or Tls:CertificatePath", StringComparison.Ordinal));
    }

    [Fact]
    public void AClientCaWithoutClientCertificatesIsAMistake()
    {
        Assert.Contains(
            Errors(("Tls:Enabled", "true"), ("Tls:CertificatePath", "/x.pem"), ("Tls:ClientCaPath", "/ca.pem")),
            e => e.StartsWith("Tls:ClientCaPath: set, but Tls:ClientCertificateMode is NoCertificate", StringComparison.Ordinal));
    }

    [Fact]
    public void SniCertificatesAreCheckedByTheirFullKey()
    {
        var errors = Errors(
            ("Tls:Enabled", "true"),
            ("Tls:CertificatePath", "/x.pem"),
            ("Tls:Certificates:Api:HostNames", "api.example.com"),
            ("Tls:Certificates:Web:CertificatePath", "/web.pem"),
            ("Tls:Certificates:Web:HostNames", "not a name, api.example.com"),
            ("Tls:Certificates:Shop:CertificatePath", "/shop.pem"));

        Assert.Contains(errors, e => e.StartsWith("Tls:Certificates:Api:CertificatePath: required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Tls:Certificates:Web:HostNames: 'not a name' is not a DNS name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Tls:Certificates:Web:HostNames: 'api.example.com' is also in Tls:Certificates:Api:HostNames", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Tls:Certificates:Shop:HostNames: required", StringComparison.Ordinal));
    }

    [Fact]
    public void AnotherPrefixIsNamedInFull()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Endpoints:Public:Tls:Enabled"] = "true",
            ["Endpoints:Public:Tls:Protocols"] = "Ssl3",
        }).Build();
        var reader = new SettingsReader(configuration);

        var settings = TlsSettingsReader.Read(reader, "Endpoints:Public:Tls");

        Assert.Equal("Endpoints:Public:Tls", settings.KeyPrefix);
        Assert.Contains(reader.Errors, e => e.StartsWith("Endpoints:Public:Tls:Protocols: 'Ssl3'", StringComparison.Ordinal));
        Assert.Contains(reader.Errors, e => e.StartsWith("Endpoints:Public:Tls:CertificatePath: required with Endpoints:Public:Tls:Enabled true", StringComparison.Ordinal));
    }

    [Fact]
    public void APasswordChangeNeedsARestartAndIsNeverShown()
    {
        var before = new ServerSettings();
        var after = before with { Tls = before.Tls with { Password = new SecretText("hunter2") } };

        var change = Assert.Single(SettingsChange.NeedingRestart(before, after));

        Assert.Equal(("Tls:Password", "(hidden)"), change);
        Assert.DoesNotContain("hunter2", after.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The keys as a configuration would hold them: for the same key, the last value wins.</summary>
    private static TlsSettings Read(params (string Key, string Value)[] values) =>
        ServerSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(values.GroupBy(v => v.Key).ToDictionary(g => g.Key, g => (string?)g.Last().Value)).Build()).Tls;

    private static IReadOnlyList<string> Errors(params (string Key, string Value)[] values) =>
        Assert.Throws<ConfigurationException>(() => Read(values)).Errors;
}
