namespace PluggableNet.Server.Diagnostics;

/// <summary>
/// Connection events whose rate a peer controls, each kind kept to one full log line per second. Kinds are as fine
/// as an operator needs to tell causes apart in the summaries.
/// </summary>
internal enum ThrottledEvent
{
    /// <summary>A header that is not all digits closed a connection.</summary>
    HeaderNotDigits,

    /// <summary>A header announcing length 0 closed a connection.</summary>
    HeaderZeroLength,

    /// <summary>A header announcing more than <c>Framing:MaxFrameBytes</c> closed a connection.</summary>
    HeaderTooLarge,

    ReadTimeout,

    ReceiveTooSlow,

    WriteTimeout,

    IdleTimeout,

    ProcessTimeout,

    /// <summary>A request made the plugin throw.</summary>
    PluginFault,

    /// <summary>The plugin answered more than the framing can express.</summary>
    AnswerTooLarge,

    /// <summary>A v2 peer broke the protocol, or flooded it with control frames.</summary>
    V2ProtocolError,

    /// <summary>A v2 peer did not answer a PING in time (half-open).</summary>
    PingTimeout,

    /// <summary>A PROXY protocol header refused (malformed, or from an untrusted address).</summary>
    ProxyHeader,

    /// <summary>A retired plugin generation pushed.</summary>
    RetiredPush,

    /// <summary>A session plugin's hook (open, close) threw.</summary>
    SessionHookFault,

    /// <summary>A connection refused over <c>Limits:MaxConnectionsPerAddress</c>.</summary>
    AddressConnections,

    /// <summary>A connection refused over <c>Limits:AcceptRatePerAddress</c>.</summary>
    AddressRate,

    /// <summary>A connection admitted without per-address accounting: its set of the address table was full.</summary>
    AddressTableFull,

    /// <summary>A TLS handshake failed or timed out (a client closing before it ended is not logged).</summary>
    TlsHandshake,
}
