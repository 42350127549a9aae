using System.CommandLine;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PluggableNet.Client;

namespace PluggableNet.Host.Cli;

/// <summary>
/// The <c>send</c> verb's TLS options, for a host with <c>Tls:Enabled</c>: <c>--tls</c>, the SNI name, a private CA to
/// trust instead of the system's roots, and a client certificate for mutual TLS.
/// </summary>
internal sealed class SendTlsOptions
{
    private readonly Option<bool> _tls = new("--tls") { Description = "Speak TLS (a host with Tls:Enabled); the host's certificate must chain to a trusted root (or --tls-ca) and name the host." };
    private readonly Option<string> _host = new("--tls-host") { Description = "The name sent as SNI and checked against the host's certificate; default: the endpoint's host.", HelpName = "NAME" };
    private readonly Option<string> _ca = new("--tls-ca") { Description = "A PEM file of the CA(s) to trust for the host's certificate, instead of the system's roots.", HelpName = "FILE" };
    private readonly Option<string> _certificate = new("--tls-cert") { Description = "A PEM client certificate to present (mutual TLS); its key in --tls-key or in the same file.", HelpName = "FILE" };
    private readonly Option<string> _key = new("--tls-key") { Description = "The PEM private key of --tls-cert.", HelpName = "FILE" };

    public IEnumerable<Option> All => [_tls, _host, _ca, _certificate, _key];

    /// <summary>Sets the client's TLS options from the command line; an error message for a file that cannot be used, else null.</summary>
    public string? Apply(ParseResult parseResult, PluggableNetClientOptions options)
    {
        var host = parseResult.GetValue(_host);
        var ca = parseResult.GetValue(_ca);
        var certificate = parseResult.GetValue(_certificate);
        var key = parseResult.GetValue(_key);
        if (!parseResult.GetValue(_tls))
        {
            return (host ?? ca ?? certificate ?? key) is null ? null : "--tls-host, --tls-ca, --tls-cert and --tls-key need --tls.";
        }

        options.UseTls = true;
        options.TlsTargetHost = host;
        try
        {
            if (ca is not null)
            {
                var roots = new X509Certificate2Collection();
                roots.ImportFromPemFile(ca);
                if (roots.Count == 0)
                {
                    return $"--tls-ca: '{ca}' holds no PEM certificate.";
                }

                options.TlsCertificateValidation = (_, presented, chain, errors) => Trusted(roots, presented, errors);
            }

            if (certificate is not null)
            {
                options.TlsClientCertificate = X509Certificate2.CreateFromPemFile(certificate, key);
            }
            else if (key is not null)
            {
                return "--tls-key needs --tls-cert.";
            }
        }
        catch (Exception exception) when (exception is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return $"--tls: {exception.Message}";
        }

        return null;
    }

    /// <summary>The host's certificate names the host and chains to one of <paramref name="roots"/> (and nothing else).</summary>
    private static bool Trusted(X509Certificate2Collection roots, X509Certificate? presented, SslPolicyErrors errors)
    {
        if (presented is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        return chain.Build(leaf);
    }
}
