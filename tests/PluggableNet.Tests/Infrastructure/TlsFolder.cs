using System.Security.Cryptography.X509Certificates;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// A temporary folder of certificate files for one test: a CA, and server certificates it issued written as PEM pairs
/// (<c>name.crt</c> with the CA after the leaf, <c>name.key</c>) or PFX files, with the settings that name them.
/// </summary>
internal sealed class TlsFolder : IDisposable
{
    public TlsFolder()
    {
        Path = TestPaths.NewTempDirectory("pnet-tls");
        Authority = TestCertificates.Authority("PluggableNet Test CA");
    }

    public string Path { get; }

    public X509Certificate2 Authority { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Issues a server certificate for <paramref name="dnsNames"/> and writes it as <c>name.crt</c> and <c>name.key</c>.</summary>
    public X509Certificate2 WritePem(string name, params string[] dnsNames)
    {
        var certificate = TestCertificates.Server(Authority, dnsNames);
        TestCertificates.WritePem(certificate, File(name + ".crt"), File(name + ".key"), Authority);
        return certificate;
    }

    /// <summary>
    /// Replaces <c>name.crt</c> and <c>name.key</c> as certbot and deploy tools do: each new file written beside the old
    /// one, then renamed over it, the certificate first.
    /// </summary>
    public void ReplacePem(string name, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        TestCertificates.WritePem(certificate, File("." + name + ".crt.new"), File("." + name + ".key.new"), Authority);
        System.IO.File.Move(File("." + name + ".crt.new"), File(name + ".crt"), overwrite: true);
        System.IO.File.Move(File("." + name + ".key.new"), File(name + ".key"), overwrite: true);
    }

    /// <summary>The CA as a PEM bundle, for <c>Tls:ClientCaPath</c>.</summary>
    public string WriteAuthority(string name = "ca.crt")
    {
        System.IO.File.WriteAllText(File(name), Authority.ExportCertificatePem() + "\n");
        return File(name);
    }

    /// <summary>The settings serving <c>name.crt</c>/<c>name.key</c> as the default certificate, plus <paramref name="more"/>.</summary>
    public (string Key, string Value)[] Settings(string name, params (string Key, string Value)[] more) =>
    [
        ("Tls:Enabled", "true"),
        ("Tls:CertificatePath", File(name + ".crt")),
        ("Tls:KeyPath", File(name + ".key")),
        .. more,
    ];

    /// <summary>The same settings as command-line overrides for a host process.</summary>
    public string[] Arguments(string name, params (string Key, string Value)[] more) =>
        [.. Settings(name, more).Select(s => $"--{s.Key}={s.Value}")];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }
}
