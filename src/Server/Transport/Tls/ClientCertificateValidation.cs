using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace PluggableNet.Server.Transport.Tls;

/// <summary>
/// Whether a client's certificate is accepted under <c>Tls:ClientCertificateMode</c>: one that is presented must chain to a
/// trusted CA (<c>Tls:ClientCaPath</c>, else the system's roots) and be valid now; none at all is accepted only under
/// <c>AllowCertificate</c>. A refusal is noted on the stream, so the handshake's failure is counted as the client certificate's.
/// </summary>
internal static class ClientCertificateValidation
{
    public static bool Accept(ClientCertificateMode mode, object sender, X509Certificate? presented, SslPolicyErrors errors)
    {
        var accepted = presented is null ? mode == ClientCertificateMode.AllowCertificate : errors == SslPolicyErrors.None;
        if (!accepted && sender is ServerTlsStream stream)
        {
            stream.ClientCertificateRefused = presented is null ? "no client certificate" : $"client certificate {presented.Subject} refused ({errors})";
        }

        return accepted;
    }
}
