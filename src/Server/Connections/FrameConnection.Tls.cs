namespace PluggableNet.Server.Connections;

/// <summary>What the connection knows of its TLS session, set by the transport once the handshake is done.</summary>
internal sealed partial class FrameConnection
{
    /// <summary>
    /// The subject of the certificate the client presented (<c>CN=alice, O=Example</c>) on a TLS endpoint with client
    /// certificates; null without TLS, or when the client presented none. Set before the first byte reaches the
    /// machine, never changed after: the seam through which the plugin's connection context will learn who the peer is.
    /// </summary>
    public string? TlsClientSubject { get; internal set; }
}
