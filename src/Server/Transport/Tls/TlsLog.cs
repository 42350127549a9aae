using System.Net;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Transport.Tls;

/// <summary>The TLS log events, with stable event ids (11xx, beside the connection events' 10xx).</summary>
internal static partial class TlsLog
{
    // A peer's doing, and one it can repeat at will: Information, throttled with the other connection events.
    [LoggerMessage(1100, LogLevel.Information, "Connection {ConnectionId} from {Peer} closed: TLS handshake failed ({Kind}: {Reason})")]
    public static partial void HandshakeFailed(ILogger logger, long connectionId, EndPoint? peer, string kind, string reason);

    [LoggerMessage(1101, LogLevel.Debug, "Connection {ConnectionId} from {Peer} closed before its TLS handshake ended: {Reason}")]
    public static partial void HandshakeAbandoned(ILogger logger, long connectionId, EndPoint? peer, string reason);

    [LoggerMessage(1102, LogLevel.Debug, "Connection {ConnectionId}: TLS {Protocol} with {Cipher}, SNI '{ServerName}', certificate {Thumbprint}, client certificate {ClientSubject}")]
    public static partial void HandshakeDone(ILogger logger, long connectionId, string protocol, string cipher, string? serverName, string thumbprint, string? clientSubject);

    [LoggerMessage(1103, LogLevel.Information, "TLS certificate {Name}: {Subject}, thumbprint {Thumbprint}, valid until {NotAfter:u}{For}")]
    public static partial void Serving(ILogger logger, string name, string subject, string thumbprint, DateTimeOffset notAfter, string @for);

    [LoggerMessage(1104, LogLevel.Warning, "TLS: {Warning}")]
    public static partial void CertificateWarning(ILogger logger, string warning);

    [LoggerMessage(1105, LogLevel.Information, "TLS certificates swapped ({Trigger}): {Changes}; new handshakes use them, open connections keep theirs")]
    public static partial void Swapped(ILogger logger, string trigger, string changes);

    [LoggerMessage(1106, LogLevel.Error, "TLS certificate change rejected ({Trigger}): {Errors} The certificates in use keep serving: {Serving}")]
    public static partial void Rejected(ILogger logger, string trigger, string errors, string serving);

    [LoggerMessage(1107, LogLevel.Debug, "TLS certificate files changed ({Trigger}) but hold the certificates already served; nothing to swap")]
    public static partial void Unchanged(ILogger logger, string trigger);
}
