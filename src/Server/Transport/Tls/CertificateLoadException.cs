namespace PluggableNet.Server.Transport.Tls;

/// <summary>Certificates that cannot be served; each message names the configuration key and the file at fault.</summary>
internal sealed class CertificateLoadException(IReadOnlyList<string> errors) : Exception(string.Join(" ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
