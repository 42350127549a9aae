namespace PluggableNet.Server.Transport.Tls;

/// <summary>Why a TLS handshake did not complete; the <c>error.type</c> of <c>pluggablenet.tls.handshake_failures</c>.</summary>
internal enum TlsHandshakeFailure
{
    /// <summary>Not done within <c>Tls:HandshakeTimeout</c>.</summary>
    Timeout,

    /// <summary>The TLS library refused it: no common version or cipher, not TLS at all, or the client refused our certificate (an alert).</summary>
    Refused,

    /// <summary>The client's certificate did not validate, or a required one was not presented (<c>Tls:ClientCertificateMode</c>).</summary>
    ClientCertificate,

    /// <summary>The client closed or reset the connection before the handshake ended (a port check, a client that gave up).</summary>
    Closed,
}
