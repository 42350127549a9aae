using System.Security.Authentication;

namespace PluggableNet.Server.Transport.Tls;

/// <summary>
/// The <c>Tls:*</c> keys of an endpoint, parsed and validated (<c>TlsSettingsReader</c>), files not read yet. Written so a
/// later <c>Endpoints:&lt;Name&gt;:Tls</c> section holds the same keys: <see cref="KeyPrefix"/> is where they were read
/// from, and every message names the full path under it.
/// </summary>
internal sealed record TlsSettings
{
    /// <summary>How long a client has for its handshake by default: Kestrel's <c>HandshakeTimeout</c>.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary><c>Tls:Enabled</c>, default false: the endpoint speaks TLS; every connection starts with a handshake.</summary>
    public bool Enabled { get; init; }

    /// <summary><c>Tls:CertificatePath</c>, default none: the PEM certificate (chain after it) served when no SNI name matches.</summary>
    public string? CertificatePath { get; init; }

    /// <summary><c>Tls:KeyPath</c>, default none: the PEM private key of <see cref="CertificatePath"/> (none: it is in that file).</summary>
    public string? KeyPath { get; init; }

    /// <summary><c>Tls:PfxPath</c>, default none: a PFX/PKCS#12 file instead of the PEM pair.</summary>
    public string? PfxPath { get; init; }

    /// <summary><c>Tls:Password</c>, default none: the PFX's password, or the encrypted PEM key's.</summary>
    public SecretText? Password { get; init; }

    /// <summary><c>Tls:Certificates:&lt;Name&gt;:*</c>, default none: more certificates, each served to the SNI names in its <c>HostNames</c>.</summary>
    public IReadOnlyList<CertificateSource> SniCertificates { get; init; } = [];

    /// <summary><c>Tls:Protocols</c>, default <c>Tls12, Tls13</c>: the TLS versions offered.</summary>
    public SslProtocols Protocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary><c>Tls:ClientCertificateMode</c>, default <c>NoCertificate</c>: whether clients are asked for a certificate.</summary>
    public ClientCertificateMode ClientCertificateMode { get; init; } = ClientCertificateMode.NoCertificate;

    /// <summary>
    /// <c>Tls:ClientCaPath</c>, default none (the system's trusted roots): a PEM bundle of the CAs whose client
    /// certificates are trusted; with it, only those are.
    /// </summary>
    public string? ClientCaPath { get; init; }

    /// <summary><c>Tls:HandshakeTimeout</c>, default 10 s (0 = off): a connection whose handshake takes longer is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = DefaultHandshakeTimeout;

    /// <summary>Where the keys were read from (<c>Tls</c>); not a setting, so not public and not compared.</summary>
    internal string KeyPrefix { get; init; } = "Tls";

    /// <summary>The default certificate, then the SNI ones; empty when TLS is off.</summary>
    public IReadOnlyList<CertificateSource> Certificates => !Enabled
        ? []
        : [new CertificateSource(CertificateSource.DefaultName, KeyPrefix, CertificatePath, KeyPath, PfxPath, Password, []), .. SniCertificates];

    /// <summary>Every file read for the certificates and the client CAs: what the watcher watches.</summary>
    public IEnumerable<string> Files => Certificates.SelectMany(c => c.Files).Concat(ClientCaPath is null ? [] : [ClientCaPath]).Distinct(StringComparer.Ordinal);
}
