namespace PluggableNet.Server.Transport.Tls;

/// <summary>
/// Where one certificate comes from: a PEM certificate (its chain after it) with its key in <see cref="KeyPath"/> or in the
/// same file, or a PFX/PKCS#12 file. <see cref="Key"/> is the configuration path of its keys (<c>Tls</c>, or
/// <c>Tls:Certificates:api</c>), so every message about it names the key an operator edits.
/// </summary>
/// <param name="Name"><c>default</c> for the endpoint's own certificate, else the name under <c>Tls:Certificates</c>.</param>
/// <param name="Key">The configuration path its keys sit under.</param>
/// <param name="CertificatePath">PEM certificate file, leaf first, intermediates after it (certbot's <c>fullchain.pem</c>).</param>
/// <param name="KeyPath">PEM private key file; null when the key is in <paramref name="CertificatePath"/> or the source is a PFX.</param>
/// <param name="PfxPath">PFX/PKCS#12 file holding the certificate, its key and its chain.</param>
/// <param name="Password">The PFX's password, or the PEM key's when it is encrypted.</param>
/// <param name="HostNames">The SNI names it serves (<c>api.example.com</c>, <c>*.example.com</c>); empty for the default.</param>
internal sealed record CertificateSource(string Name, string Key, string? CertificatePath, string? KeyPath, string? PfxPath, SecretText? Password, IReadOnlyList<string> HostNames)
{
    /// <summary>The name of the certificate served when no SNI name matches (the endpoint's own, <c>Tls:CertificatePath</c> or <c>Tls:PfxPath</c>).</summary>
    public const string DefaultName = "default";

    public bool IsDefault => Name == DefaultName;

    /// <summary>Every file it is read from: what a watcher watches.</summary>
    public IEnumerable<string> Files => new[] { CertificatePath, KeyPath, PfxPath }.OfType<string>();

    /// <summary>What a settings comparison shows: paths and names, never the password.</summary>
    public override string ToString() =>
        $"{Name}: {(PfxPath is not null ? "pfx " + PfxPath : "pem " + CertificatePath + (KeyPath is null ? string.Empty : " + " + KeyPath))}{(HostNames.Count > 0 ? " for " + string.Join(",", HostNames) : string.Empty)}";
}
