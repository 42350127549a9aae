using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PluggableNet.Bench.Driver.Tls;

/// <summary>
/// The one certificate both servers serve: ECDSA P-256 (what certbot issues by default today), self-signed for
/// <see cref="HostName"/>, written once per run as a PEM pair in a temporary folder.
/// </summary>
internal sealed class TlsBenchCertificate : IDisposable
{
    public const string HostName = "bench.pluggablenet.test";

    private TlsBenchCertificate(string folder)
    {
        Folder = folder;
    }

    public string Folder { get; }

    public string CertificatePath => Path.Combine(Folder, "tls.crt");

    public string KeyPath => Path.Combine(Folder, "tls.key");

    public static TlsBenchCertificate Create()
    {
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"pluggablenet-bench-tls-{Environment.ProcessId}")).FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={HostName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(HostName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(Path.Combine(folder, "tls.crt"), certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(folder, "tls.key"), key.ExportPkcs8PrivateKeyPem() + "\n");
        return new TlsBenchCertificate(folder);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
