using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace PluggableNet.Server.Transport.Tls;

/// <summary>
/// Every certificate of an endpoint, loaded and checked, with the handshake options built once per certificate: what one
/// publication of <see cref="TlsCertificates"/> serves. Immutable, so a handshake that picked it keeps a consistent view
/// while a swap publishes the next one.
/// </summary>
/// <remarks>
/// SNI as Kestrel's <c>Sni</c> section and nginx's <c>server_name</c> choose: an exact name first, then a wildcard
/// (<c>*.example.com</c> matches one label, <c>api.example.com</c>, not <c>example.com</c> nor <c>a.b.example.com</c>),
/// then the default certificate, which also serves clients that send no name.
/// </remarks>
internal sealed class TlsCertificateSet
{
    private readonly SslServerAuthenticationOptions _default;
    private readonly Dictionary<string, SslServerAuthenticationOptions>.AlternateLookup<ReadOnlySpan<char>> _exact;
    private readonly Dictionary<string, SslServerAuthenticationOptions>.AlternateLookup<ReadOnlySpan<char>> _wildcard;

    private TlsCertificateSet(IReadOnlyList<LoadedCertificate> certificates, X509Certificate2Collection? authorities, TlsSettings settings)
    {
        Certificates = certificates;
        Authorities = authorities;
        var exact = new Dictionary<string, SslServerAuthenticationOptions>(StringComparer.OrdinalIgnoreCase);
        var wildcard = new Dictionary<string, SslServerAuthenticationOptions>(StringComparer.OrdinalIgnoreCase);
        _default = Options(certificates[0], authorities, settings);
        foreach (var certificate in certificates.Skip(1))
        {
            var options = Options(certificate, authorities, settings);
            foreach (var name in certificate.Source.HostNames)
            {
                if (name.StartsWith("*.", StringComparison.Ordinal))
                {
                    wildcard[name[2..]] = options;
                }
                else
                {
                    exact[name] = options;
                }
            }
        }

        _exact = exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcard = wildcard.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The default certificate first, then the SNI ones in configuration order.</summary>
    public IReadOnlyList<LoadedCertificate> Certificates { get; }

    /// <summary>The CAs client certificates must chain to (<c>Tls:ClientCaPath</c>), or null for the system's roots.</summary>
    public X509Certificate2Collection? Authorities { get; }

    /// <summary>Reads every file of <paramref name="settings"/>; all problems are reported together.</summary>
    /// <exception cref="CertificateLoadException">A certificate or the CA bundle cannot be served.</exception>
    public static TlsCertificateSet Load(TlsSettings settings, DateTimeOffset now, List<string> warnings)
    {
        var errors = new List<string>();
        X509Certificate2Collection? authorities = null;
        if (settings.ClientCaPath is { } caPath)
        {
            try
            {
                authorities = CertificateLoader.LoadAuthorities($"{settings.KeyPrefix}:ClientCaPath", caPath);
            }
            catch (CertificateLoadException exception)
            {
                errors.AddRange(exception.Errors);
            }
        }

        // The CAs are named in the handshake (as nginx's ssl_client_certificate does) so a client holding several
        // certificates presents one they issued; SChannel takes that list from the machine's store instead.
        var trust = authorities is not null && !OperatingSystem.IsWindows() ? SslCertificateTrust.CreateForX509Collection(authorities, sendTrustInHandshake: true) : null;
        var certificates = new List<LoadedCertificate>();
        foreach (var source in settings.Certificates)
        {
            try
            {
                certificates.Add(CertificateLoader.Load(source, now, warnings, trust));
            }
            catch (CertificateLoadException exception)
            {
                errors.AddRange(exception.Errors);
            }
        }

        if (errors.Count > 0)
        {
            throw new CertificateLoadException(errors);
        }

        return new TlsCertificateSet(certificates, authorities, settings);
    }

    /// <summary>The options for a client that asked for <paramref name="serverName"/> (SNI; null or empty when it sent none).</summary>
    public SslServerAuthenticationOptions For(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return _default;
        }

        var name = serverName.AsSpan().TrimEnd('.');
        if (_exact.TryGetValue(name, out var exact))
        {
            return exact;
        }

        var dot = name.IndexOf('.');
        return dot > 0 && _wildcard.TryGetValue(name[(dot + 1)..], out var wildcard) ? wildcard : _default;
    }

    /// <summary>The certificate a client asking for <paramref name="serverName"/> gets (for status and tests).</summary>
    public LoadedCertificate CertificateFor(string? serverName)
    {
        var context = For(serverName).ServerCertificateContext;
        return Certificates.First(c => ReferenceEquals(c.Context, context));
    }

    /// <summary>Whether <paramref name="other"/> holds exactly the same certificates and CAs: a reload that changed nothing.</summary>
    public bool SameAs(TlsCertificateSet other) =>
        Certificates.Select(c => c.Thumbprint).SequenceEqual(other.Certificates.Select(c => c.Thumbprint))
        && Thumbprints(Authorities).SequenceEqual(Thumbprints(other.Authorities));

    private static IEnumerable<string> Thumbprints(X509Certificate2Collection? certificates) =>
        certificates is null ? [] : certificates.Select(c => c.Thumbprint).Order(StringComparer.Ordinal);

    private static SslServerAuthenticationOptions Options(LoadedCertificate certificate, X509Certificate2Collection? authorities, TlsSettings settings)
    {
        var asksForCertificate = settings.ClientCertificateMode != ClientCertificateMode.NoCertificate;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Context,
            EnabledSslProtocols = settings.Protocols,
            ClientCertificateRequired = asksForCertificate,
            AllowRenegotiation = false,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };

        if (asksForCertificate)
        {
            var mode = settings.ClientCertificateMode;
            options.RemoteCertificateValidationCallback = (sender, presented, _, errors) => ClientCertificateValidation.Accept(mode, sender, presented, errors);
            if (authorities is not null)
            {
                // Trust these CAs and nothing else; private CAs rarely publish revocation lists, so none is fetched.
                var policy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    RevocationMode = X509RevocationMode.NoCheck,
                };
                policy.CustomTrustStore.AddRange(authorities);
                options.CertificateChainPolicy = policy;
            }
        }

        return options;
    }
}
