namespace PluggableNet.Server.Diagnostics;

/// <summary>What was wrong with a bad header; the <c>error.type</c> tag of <c>pluggablenet.protocol_errors</c>.</summary>
internal enum ProtocolErrorKind
{
    /// <summary>An ASCII header with a character that is not a digit.</summary>
    NotDigits,

    /// <summary>A header announcing a 0-byte payload.</summary>
    ZeroLength,

    /// <summary>A header announcing more than <c>Framing:MaxFrameBytes</c>.</summary>
    TooLarge,

    /// <summary>A v2 peer broke the protocol: an id not above the last, a frame only the server sends, a malformed control frame.</summary>
    V2Violation,

    /// <summary>A v2 peer sent more PING, CANCEL or unknown frames per second than the flood limit allows.</summary>
    ControlFlood,

    /// <summary>A PROXY protocol header refused: malformed, or from an address not in <c>Server:TrustedProxies</c>.</summary>
    ProxyHeader,
}
