using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableNet.Server;
using PluggableNet.Server.Transport.Tls;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Tls;

/// <summary>
/// A certificate is read fully before it serves: each file that cannot be served is an error naming the key and the
/// file (at start-up, and on a live swap, where the old certificate then keeps serving).
/// </summary>
public sealed class CertificateLoadingTests
{
    [Fact]
    public void AMissingFileIsNamedWithItsKey()
    {
        using var files = new TlsFolder();

        var errors = LoadErrors(files.Settings("absent"));

        Assert.Contains(errors, e => e == $"Tls:CertificatePath: '{files.File("absent.crt")}': file not found.");
    }

    [Fact]
    public void AFileThatIsNoCertificateIsNamedWithItsKey()
    {
        using var files = new TlsFolder();
        File.WriteAllText(files.File("server.crt"), "not a certificate");
        File.WriteAllText(files.File("server.key"), "not a key");

        var errors = LoadErrors(files.Settings("server"));

        Assert.Contains(errors, e => e.StartsWith($"Tls:CertificatePath: '{files.File("server.crt")}' holds no PEM certificate", StringComparison.Ordinal));
    }

    [Fact]
    public void AKeyOfAnotherCertificateIsRefused()
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        files.WritePem("other", "localhost");
        File.Copy(files.File("other.key"), files.File("server.key"), overwrite: true);

        var errors = LoadErrors(files.Settings("server"));

        Assert.Contains(errors, e => e.StartsWith($"Tls:KeyPath: '{files.File("server.key")}' does not hold the private key of the certificate in '{files.File("server.crt")}'", StringComparison.Ordinal));
    }

    [Fact]
    public void AnExpiredCertificateIsRefused()
    {
        using var files = new TlsFolder();
        TestCertificates.WritePem(TestCertificates.Expired("localhost"), files.File("old.crt"), files.File("old.key"));

        var errors = LoadErrors(files.Settings("old"));

        Assert.Contains(errors, e => e.StartsWith($"Tls:CertificatePath '{files.File("old.crt")}' with Tls:KeyPath '{files.File("old.key")}': the certificate CN=localhost expired on", StringComparison.Ordinal));
    }

    [Fact]
    public void APfxWithTheWrongPasswordIsRefusedNamingItsKey()
    {
        using var files = new TlsFolder();
        TestCertificates.WritePfx(TestCertificates.Server(files.Authority, "api.test"), files.File("api.pfx"), "right");

        var errors = LoadErrors(files.Settings(
            "absent",
            ("Tls:Certificates:Api:PfxPath", files.File("api.pfx")),
            ("Tls:Certificates:Api:Password", "wrong"),
            ("Tls:Certificates:Api:HostNames", "api.test")));

        // Both problems at once, each with its own key.
        Assert.Contains(errors, e => e.StartsWith("Tls:CertificatePath:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith($"Tls:Certificates:Api:PfxPath: '{files.File("api.pfx")}':", StringComparison.Ordinal));
    }

    [Fact]
    public void AKeyInsideTheCertificateFileServes()
    {
        using var files = new TlsFolder();
        var certificate = TestCertificates.Server(files.Authority, "localhost");
        TestCertificates.WritePem(certificate, files.File("both.pem"), keyPath: null, files.Authority);

        var loaded = TlsCertificates.Load(Settings(("Tls:Enabled", "true"), ("Tls:CertificatePath", files.File("both.pem"))), NullLogger.Instance);

        var served = Assert.Single(loaded.Current.Certificates);
        Assert.Equal(certificate.Thumbprint, served.Thumbprint);
        Assert.Equal(files.Authority.Thumbprint, Assert.Single(served.Intermediates).Thumbprint);
    }

    [Fact]
    public void ACertificateNearItsEndServesWithAWarning()
    {
        using var files = new TlsFolder();
        var soon = TestCertificates.Issue(files.Authority, "CN=localhost", ["localhost"], "1.3.6.1.5.5.7.3.1", DateTimeOffset.UtcNow.AddDays(3));
        TestCertificates.WritePem(soon, files.File("soon.crt"), files.File("soon.key"));
        var warnings = new List<string>();

        TlsCertificateSet.Load(Settings(files.Settings("soon")), DateTimeOffset.UtcNow, warnings);

        Assert.Contains(warnings, w => w.Contains("expires on", StringComparison.Ordinal) && w.Contains("renew it", StringComparison.Ordinal));
    }

    [Fact]
    public void AStartWithABadCertificateIsAConfigurationError()
    {
        using var files = new TlsFolder();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(files.Settings("absent").ToDictionary(s => s.Key, s => (string?)s.Value)).Build();

        var exception = Assert.Throws<ConfigurationException>(() => PluggableServer.Start(ServerSettings.Read(configuration), configuration, NullLoggerFactory.Instance));

        Assert.Contains($"Tls:CertificatePath: '{files.File("absent.crt")}': file not found.", exception.Message, StringComparison.Ordinal);
    }

    private static TlsSettings Settings(params (string Key, string Value)[] values) =>
        ServerSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build()).Tls;

    private static IReadOnlyList<string> LoadErrors(params (string Key, string Value)[] values) =>
        Assert.Throws<CertificateLoadException>(() => TlsCertificates.Load(Settings(values), NullLogger.Instance)).Errors;
}
