namespace PluggableNet.Server.Transport.Tls;

/// <summary><c>Tls:ClientCertificateMode</c>: whether the host asks clients for a certificate (mutual TLS), as Kestrel names it.</summary>
internal enum ClientCertificateMode
{
    /// <summary>No client certificate is asked for (the default).</summary>
    NoCertificate,

    /// <summary>A client certificate is asked for; a client without one is served, a client with one that does not validate is refused.</summary>
    AllowCertificate,

    /// <summary>A client certificate is asked for and must validate; a client without one is refused.</summary>
    RequireCertificate,
}
