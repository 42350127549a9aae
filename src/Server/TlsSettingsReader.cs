using System.Security.Authentication;
using PluggableNet.Server.Transport.Tls;

namespace PluggableNet.Server;

/// <summary>
/// Reads one endpoint's <c>Tls:*</c> keys into <see cref="TlsSettings"/>. Takes the key prefix the section sits under
/// (<c>Tls</c> today, <c>Endpoints:&lt;Name&gt;:Tls</c> once endpoints have sections) so every error names the full path.
/// Only the text is validated here; the files are read when the server starts (<see cref="TlsCertificateSet"/>).
/// </summary>
internal static class TlsSettingsReader
{
    private static readonly string[] s_protocolNames = ["Tls12", "Tls13"];

    public static TlsSettings Read(SettingsReader reader, string prefix)
    {
        var defaults = new TlsSettings();
        var settings = new TlsSettings
        {
            KeyPrefix = prefix,
            Enabled = reader.Bool($"{prefix}:Enabled", defaults.Enabled),
            CertificatePath = reader.OptionalText($"{prefix}:CertificatePath"),
            KeyPath = reader.OptionalText($"{prefix}:KeyPath"),
            PfxPath = reader.OptionalText($"{prefix}:PfxPath"),
            Password = reader.OptionalText($"{prefix}:Password") is { } password ? new SecretText(password) : null,
            SniCertificates = ReadSni(reader, $"{prefix}:Certificates"),
            Protocols = ReadProtocols(reader, $"{prefix}:Protocols", defaults.Protocols),
            ClientCertificateMode = reader.Enum($"{prefix}:ClientCertificateMode", defaults.ClientCertificateMode),
            ClientCaPath = reader.OptionalText($"{prefix}:ClientCaPath"),
            HandshakeTimeout = reader.Duration($"{prefix}:HandshakeTimeout", defaults.HandshakeTimeout),
        };

        if (!settings.Enabled)
        {
            return settings;
        }

        CheckSource(reader, prefix, settings.CertificatePath, settings.KeyPath, settings.PfxPath, isDefault: true);
        if (settings.ClientCaPath is not null && settings.ClientCertificateMode == ClientCertificateMode.NoCertificate)
        {
            reader.Errors.Add($"{prefix}:ClientCaPath: set, but {prefix}:ClientCertificateMode is NoCertificate, so no client certificate is asked for; set AllowCertificate or RequireCertificate, or remove it.");
        }

        var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var source in settings.SniCertificates)
        {
            foreach (var name in source.HostNames)
            {
                if (!owners.TryAdd(name, source.Key))
                {
                    reader.Errors.Add($"{source.Key}:HostNames: '{name}' is also in {owners[name]}:HostNames; each name picks one certificate.");
                }
            }
        }

        return settings;
    }

    private static List<CertificateSource> ReadSni(SettingsReader reader, string section)
    {
        var sources = new List<CertificateSource>();
        foreach (var name in reader.ChildNames(section))
        {
            var key = $"{section}:{name}";
            if (name.Equals(CertificateSource.DefaultName, StringComparison.OrdinalIgnoreCase))
            {
                reader.Errors.Add($"{key}: '{CertificateSource.DefaultName}' is the name of the certificate of {section[..section.LastIndexOf(':')]}:CertificatePath or :PfxPath; give this one another name.");
                continue;
            }

            var certificate = reader.OptionalText($"{key}:CertificatePath");
            var keyPath = reader.OptionalText($"{key}:KeyPath");
            var pfx = reader.OptionalText($"{key}:PfxPath");
            CheckSource(reader, key, certificate, keyPath, pfx, isDefault: false);
            var hostNames = HostNames(reader, $"{key}:HostNames");
            sources.Add(new CertificateSource(name, key, certificate, keyPath, pfx, reader.OptionalText($"{key}:Password") is { } password ? new SecretText(password) : null, hostNames));
        }

        return sources;
    }

    /// <summary>Either a PEM certificate (with its key beside it or inside it) or a PFX, not both, not neither.</summary>
    private static void CheckSource(SettingsReader reader, string key, string? certificate, string? keyPath, string? pfx, bool isDefault)
    {
        if (pfx is not null && (certificate is not null || keyPath is not null))
        {
            reader.Errors.Add($"{key}:PfxPath: give either {key}:PfxPath or {key}:CertificatePath (with {key}:KeyPath), not both.");
        }
        else if (pfx is null && certificate is null)
        {
            reader.Errors.Add(isDefault
                ? $"{key}:CertificatePath: required with {key}:Enabled true: a PEM certificate (with {key}:KeyPath), or set {key}:PfxPath."
                : $"{key}:CertificatePath: required: a PEM certificate (with {key}:KeyPath), or set {key}:PfxPath.");
        }
    }

    /// <summary>A comma-separated list of DNS names, each either a name or <c>*.</c> and a name (one label wide, as in certificates).</summary>
    private static List<string> HostNames(SettingsReader reader, string key)
    {
        var names = reader.List(key);
        if (names.Count == 0)
        {
            reader.Errors.Add($"{key}: required: the SNI names this certificate serves (api.example.com, *.example.com), comma-separated.");
        }

        var valid = new List<string>();
        foreach (var name in names)
        {
            var host = name.StartsWith("*.", StringComparison.Ordinal) ? name[2..] : name;
            if (Uri.CheckHostName(host) != UriHostNameType.Dns || host.Contains('*', StringComparison.Ordinal))
            {
                reader.Errors.Add($"{key}: '{name}' is not a DNS name or a wildcard such as *.example.com.");
                continue;
            }

            valid.Add(name.ToLowerInvariant());
        }

        return valid;
    }

    private static SslProtocols ReadProtocols(SettingsReader reader, string key, SslProtocols fallback)
    {
        var names = reader.List(key);
        if (names.Count == 0)
        {
            return fallback;
        }

        var protocols = SslProtocols.None;
        foreach (var name in names)
        {
            var known = Array.Find(s_protocolNames, n => n.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                reader.Errors.Add($"{key}: '{name}' is not one of {string.Join(", ", s_protocolNames)}.");
                continue;
            }

            protocols |= known == "Tls12" ? SslProtocols.Tls12 : SslProtocols.Tls13;
        }

        return protocols == SslProtocols.None ? fallback : protocols;
    }
}
