using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// Certificates made for a test with <see cref="CertificateRequest"/> (ECDSA P-256, quick to make), written to PEM and PFX
/// files as certbot, cert-manager or an operator would leave them.
/// </summary>
internal static class TestCertificates
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>A self-signed CA that can issue server and client certificates.</summary>
    public static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>A server certificate for <paramref name="dnsNames"/> (the first also its CN), issued by <paramref name="issuer"/> or self-signed.</summary>
    public static X509Certificate2 Server(X509Certificate2? issuer, params string[] dnsNames) =>
        Issue(issuer, $"CN={dnsNames[0]}", dnsNames, ServerAuthentication, DateTimeOffset.UtcNow.AddDays(90));

    /// <summary>A client certificate for mutual TLS, issued by <paramref name="issuer"/>.</summary>
    public static X509Certificate2 Client(X509Certificate2 issuer, string subject) =>
        Issue(issuer, subject, [], ClientAuthentication, DateTimeOffset.UtcNow.AddDays(90));

    /// <summary>A server certificate that expired yesterday.</summary>
    public static X509Certificate2 Expired(string dnsName) =>
        Issue(null, $"CN={dnsName}", [dnsName], ServerAuthentication, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(-30));

    public static X509Certificate2 Issue(X509Certificate2? issuer, string subject, string[] dnsNames, string usage, DateTimeOffset notAfter, DateTimeOffset? notBefore = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (dnsNames.Length > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                names.AddDnsName(name);
            }

            request.CertificateExtensions.Add(names.Build());
        }

        var from = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
        if (issuer is null)
        {
            return request.CreateSelfSigned(from, notAfter);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(issuer, from, notAfter < issuer.NotAfter ? notAfter : issuer.NotAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the certificate (then <paramref name="chain"/>) to <paramref name="certificatePath"/> and its key to <paramref name="keyPath"/>, or into the same file when null.</summary>
    public static void WritePem(X509Certificate2 certificate, string certificatePath, string? keyPath, params X509Certificate2[] chain)
    {
        var text = certificate.ExportCertificatePem() + "\n" + string.Concat(chain.Select(c => c.ExportCertificatePem() + "\n"));
        var key = certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n";
        if (keyPath is null)
        {
            File.WriteAllText(certificatePath, text + key);
        }
        else
        {
            File.WriteAllText(certificatePath, text);
            File.WriteAllText(keyPath, key);
        }
    }

    /// <summary>Writes a PFX holding the certificate, its key and <paramref name="chain"/>.</summary>
    public static void WritePfx(X509Certificate2 certificate, string path, string? password, params X509Certificate2[] chain)
    {
        var collection = new X509Certificate2Collection(certificate);
        collection.AddRange(chain.Select(c => X509CertificateLoader.LoadCertificate(c.RawData)).ToArray());
        File.WriteAllBytes(path, collection.Export(X509ContentType.Pkcs12, password)!);
    }

    /// <summary>Writes <paramref name="content"/> to a new file beside <paramref name="path"/> and renames it over it, as certbot and most deploy tools replace files.</summary>
    public static void ReplaceByRename(string path, Action<string> write)
    {
        var staged = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".new");
        write(staged);
        File.Move(staged, path, overwrite: true);
    }
}
