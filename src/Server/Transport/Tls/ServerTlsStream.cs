using System.Net.Security;

namespace PluggableNet.Server.Transport.Tls;

/// <summary>The server's side of one TLS connection: an <see cref="SslStream"/> that also remembers why it refused the client's certificate.</summary>
internal sealed class ServerTlsStream(Stream inner) : SslStream(inner, leaveInnerStreamOpen: false)
{
    /// <summary>Set by <see cref="ClientCertificateValidation"/> when it refused the client's certificate (or its absence).</summary>
    public string? ClientCertificateRefused { get; set; }
}
