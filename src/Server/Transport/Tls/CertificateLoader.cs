using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PluggableNet.Server.Transport.Tls;

/// <summary>
/// Reads a certificate fully before anything serves it: the files parse, the key is the certificate's own, it has not
/// expired. A problem is an error naming the key and the file; a certificate that will expire soon, or is not valid yet,
/// or is not meant for servers, is served with a warning.
/// </summary>
internal static class CertificateLoader
{
    /// <summary>Below this much validity left a certificate is served with a warning (certbot renews at 30 days, cert-manager at a third of the lifetime).</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    /// <summary>
    /// Loads <paramref name="source"/>; adds what is worth knowing to <paramref name="warnings"/>. <paramref name="trust"/>,
    /// when given, is the list of client CAs the handshake names, so a client picks a certificate they issued.
    /// </summary>
    /// <exception cref="CertificateLoadException">The certificate cannot be served; the message says why.</exception>
    public static LoadedCertificate Load(CertificateSource source, DateTimeOffset now, List<string> warnings, SslCertificateTrust? trust = null)
    {
        var (leaf, intermediates) = source.PfxPath is { } pfx ? ReadPfx(source, pfx) : ReadPem(source, source.CertificatePath!);
        var described = Describe(source);
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter <= now)
        {
            throw Error($"{described}: the certificate {leaf.Subject} expired on {notAfter.ToString("u", CultureInfo.InvariantCulture)}.");
        }

        if (notAfter - now < ExpiryWarning)
        {
            warnings.Add($"{described}: the certificate {leaf.Subject} expires on {notAfter.ToString("u", CultureInfo.InvariantCulture)}, in {(notAfter - now).TotalDays:0.#} day(s); renew it (a new file is picked up live).");
        }

        if (leaf.NotBefore.ToUniversalTime() > now.UtcDateTime)
        {
            warnings.Add($"{described}: the certificate {leaf.Subject} is not valid before {leaf.NotBefore.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture)}; clients will refuse it until then.");
        }

        if (leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } usage
            && !usage.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ServerAuthentication))
        {
            warnings.Add($"{described}: the certificate {leaf.Subject} is not meant for servers (no serverAuth in its extended key usage); most clients will refuse it.");
        }

        try
        {
            var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true, trust);
            return new LoadedCertificate(source, leaf, intermediates, context);
        }
        catch (Exception exception) when (exception is CryptographicException or ArgumentException or NotSupportedException)
        {
            throw Error($"{described}: cannot be served: {exception.Message}");
        }
    }

    /// <summary>A PEM bundle of CA certificates (<c>Tls:ClientCaPath</c>).</summary>
    public static X509Certificate2Collection LoadAuthorities(string key, string path)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (Exception exception) when (IsReadFailure(exception))
        {
            throw Error($"{key}: '{path}': {Reason(exception)}");
        }

        if (authorities.Count == 0)
        {
            throw Error($"{key}: '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        return authorities;
    }

    /// <summary>Which key and file a message is about: <c>Tls:PfxPath '/etc/x.pfx'</c>.</summary>
    public static string Describe(CertificateSource source) => source.PfxPath is { } pfx
        ? $"{source.Key}:PfxPath '{pfx}'"
        : $"{source.Key}:CertificatePath '{source.CertificatePath}'{(source.KeyPath is { } key ? $" with {source.Key}:KeyPath '{key}'" : string.Empty)}";

    private static (X509Certificate2 Leaf, X509Certificate2Collection Intermediates) ReadPem(CertificateSource source, string path)
    {
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPemFile(path);
        }
        catch (Exception exception) when (IsReadFailure(exception))
        {
            throw Error($"{source.Key}:CertificatePath: '{path}': {Reason(exception)}");
        }

        if (all.Count == 0)
        {
            throw Error($"{source.Key}:CertificatePath: '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        if (source.KeyPath is { } keyPath && !File.Exists(keyPath))
        {
            throw Error($"{source.Key}:KeyPath: '{keyPath}': file not found.");
        }

        X509Certificate2 leaf;
        try
        {
            leaf = source.Password is { } password
                ? X509Certificate2.CreateFromEncryptedPemFile(path, password.Value, source.KeyPath)
                : X509Certificate2.CreateFromPemFile(path, source.KeyPath);
        }
        catch (Exception exception) when (exception is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            var keyKey = source.KeyPath is null ? $"{source.Key}:CertificatePath" : $"{source.Key}:KeyPath";
            var keyFile = source.KeyPath ?? path;
            throw Error($"{keyKey}: '{keyFile}' does not hold the private key of the certificate in '{path}' ({exception.Message.TrimEnd('.')}).");
        }

        if (OperatingSystem.IsWindows())
        {
            // SChannel cannot use the ephemeral key a PEM import makes; a PKCS#12 round trip gives it a usable one.
            leaf = X509CertificateLoader.LoadPkcs12(leaf.Export(X509ContentType.Pkcs12), password: null);
        }

        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (certificate.Thumbprint != leaf.Thumbprint)
            {
                intermediates.Add(certificate);
            }
        }

        return (leaf, intermediates);
    }

    private static (X509Certificate2 Leaf, X509Certificate2Collection Intermediates) ReadPfx(CertificateSource source, string path)
    {
        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, source.Password?.Value, X509KeyStorageFlags.DefaultKeySet);
        }
        catch (Exception exception) when (IsReadFailure(exception))
        {
            throw Error($"{source.Key}:PfxPath: '{path}': {Reason(exception)}{(exception is CryptographicException && source.Password is null ? " (is it protected by a password? set " + source.Key + ":Password)" : string.Empty)}");
        }

        var leaf = all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw Error($"{source.Key}:PfxPath: '{path}' holds no certificate with its private key.");
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (!ReferenceEquals(certificate, leaf))
            {
                intermediates.Add(certificate);
            }
        }

        return (leaf, intermediates);
    }

    private static bool IsReadFailure(Exception exception) =>
        exception is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException;

    private static string Reason(Exception exception) => exception switch
    {
        FileNotFoundException or DirectoryNotFoundException => "file not found.",
        UnauthorizedAccessException => "not readable by the host's user.",
        _ => exception.Message.TrimEnd('.') + ".",
    };

    private static CertificateLoadException Error(string message) => new([message]);
}
