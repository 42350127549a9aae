using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace PluggableNet.Server.Transport.Tls;

/// <summary>One certificate read and checked: its leaf with the private key, the chain sent after it, and the context handshakes use.</summary>
internal sealed record LoadedCertificate(CertificateSource Source, X509Certificate2 Leaf, X509Certificate2Collection Intermediates, SslStreamCertificateContext Context)
{
    public string Subject => Leaf.Subject;

    /// <summary>SHA-1 of the certificate, as <see cref="X509Certificate2.Thumbprint"/> and every certificate tool print it.</summary>
    public string Thumbprint => Leaf.Thumbprint;

    public DateTimeOffset NotAfter => new(Leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero);
}
