using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using PluggableNet.Protocol;

namespace PluggableNet.Client;

/// <summary>
/// Settings of a <see cref="PluggableNetClient"/>, read once when it is created and validated then (an invalid value
/// throws <see cref="ArgumentException"/> naming the option). Framing must match the host's <c>Framing:*</c> keys.
/// </summary>
public sealed class PluggableNetClientOptions
{
    /// <summary>
    /// The hosts to send to: <see cref="IPEndPoint"/> or <see cref="DnsEndPoint"/>, at least one, at most 64
    /// (<see cref="ParseEndpoint"/> reads <c>127.0.0.1:9090</c>, <c>[::1]:9090</c>, <c>localhost:9090</c>).
    /// </summary>
    public IList<EndPoint> Endpoints { get; } = [];

    /// <summary>
    /// The protocol spoken; default <see cref="ClientProtocol.V1"/>, which every host speaks.
    /// <see cref="ClientProtocol.V2"/> needs a host that allows it (<c>Framing:AllowV2</c>) and ignores
    /// <see cref="Framing"/> and <see cref="HeaderDigits"/>; there is no fallback to v1 (a host that refuses v2 fails
    /// the connect, naming this option).
    /// </summary>
    public ClientProtocol Protocol { get; set; } = ClientProtocol.V1;

    /// <summary>
    /// How the length is written in front of each frame; default <see cref="FramingKind.AsciiDecimal"/>, as the host's
    /// <c>Framing:Kind</c> (the same enum, from PluggableNet.Protocol).
    /// </summary>
    public FramingKind Framing { get; set; } = FramingKind.AsciiDecimal;

    /// <summary>The ASCII header width, 1 to 10; default 5, as the host's <c>Framing:HeaderDigits</c>. Ignored for binary framing.</summary>
    public int HeaderDigits { get; set; } = 5;

    /// <summary>
    /// The largest answer accepted; default 16 MiB. A header announcing more closes the connection as a protocol
    /// error, so a confused or hostile peer cannot make the client allocate without bound.
    /// </summary>
    public int MaxAnswerBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Persistent connections per endpoint, opened as load needs them; default 2. Requests are pipelined on each
    /// (answers come back in order), so a few connections carry many concurrent callers.
    /// </summary>
    public int ConnectionsPerEndpoint { get; set; } = 2;

    /// <summary>How long a connection attempt may take before the endpoint counts as failing; default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a request waits for its answer, from the call; default 30 s, <see cref="Timeout.InfiniteTimeSpan"/>
    /// for none. A timed-out request fails with <see cref="TimeoutException"/>; its answer, if it comes, is read and
    /// dropped, and the connection gets no new requests until it has caught up.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How a request picks among endpoints that are up; default <see cref="EndpointSelection.LeastPending"/>.</summary>
    public EndpointSelection Selection { get; set; } = EndpointSelection.LeastPending;

    /// <summary>
    /// Whether requests are safe to process twice; default false. When true, a request whose connection dies after
    /// it was sent is sent once more on another connection instead of failing. <see cref="RequestOptions.Idempotent"/>
    /// overrides it per request.
    /// </summary>
    public bool Idempotent { get; set; }

    /// <summary>
    /// How long an endpoint that failed (refused or timed-out connect, connection reset or cut mid-answer) is left out
    /// before it is tried again; doubles on each failure in a row up to <see cref="MaxEndpointDownTime"/>. Default 1 s.
    /// </summary>
    public TimeSpan EndpointDownTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest an endpoint is left out after failures in a row; default 30 s.</summary>
    public TimeSpan MaxEndpointDownTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many times a request is resent after the server closed its connection gracefully (at a frame boundary, as
    /// a draining or restarting host does) without answering it; default 3. The bound exists because a host also closes
    /// that way after a plugin fault or a request it rejects, and resending those forever would loop.
    /// </summary>
    public int MaxResendsOnGracefulClose { get; set; } = 3;

    /// <summary>
    /// V2 only: after this long without a byte from the server, the client sends a PING to learn whether the
    /// connection is still alive; default 30 s, <see cref="Timeout.InfiniteTimeSpan"/> for never.
    /// </summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// V2 only: how long the PONG to the client's PING may take before the connection counts as dead (closed, its
    /// requests left as after a reset: they may have been processed); default 10 s.
    /// </summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether connections speak TLS, to a host with <c>Tls:Enabled</c>; default false. The handshake is part of the
    /// connect and counts against <see cref="ConnectTimeout"/>; v2's preface then goes inside TLS.
    /// </summary>
    public bool UseTls { get; set; }

    /// <summary>
    /// With <see cref="UseTls"/>: the name sent as SNI (it picks the host's certificate) and checked against the
    /// certificate; default null, the endpoint's own host name (an address sends no SNI, and is checked as an address).
    /// </summary>
    public string? TlsTargetHost { get; set; }

    /// <summary>With <see cref="UseTls"/>: the certificate (with its private key) presented to a host that asks for one (mutual TLS); default none.</summary>
    public X509Certificate2? TlsClientCertificate { get; set; }

    /// <summary>
    /// With <see cref="UseTls"/>: decides whether the host's certificate is accepted; default null, the platform's
    /// validation (a certificate chaining to a trusted root, valid now, for <see cref="TlsTargetHost"/>). Set it to trust
    /// a private CA or to pin a certificate; a callback that accepts everything gives up what TLS is for.
    /// </summary>
    public RemoteCertificateValidationCallback? TlsCertificateValidation { get; set; }

    /// <summary>
    /// Reads <c>host:port</c>: an IPv4 address, a bracketed IPv6 address (<c>[::1]:9090</c>) or a host name
    /// (resolved at connect time).
    /// </summary>
    /// <exception cref="FormatException">The text is not <c>host:port</c> with a port from 1 to 65535.</exception>
    public static EndPoint ParseEndpoint(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            throw new FormatException($"'{text}' is not host:port (such as 127.0.0.1:9090, [::1]:9090 or localhost:9090).");
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        if (host.Length == 0 || host.Contains(':', StringComparison.Ordinal) || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            throw new FormatException($"'{text}' is not host:port: '{host}' is not a host name or address.");
        }

        return new DnsEndPoint(host, port);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option (<see cref="PluggableNetClientOptionsValidator"/>).</summary>
    internal void Validate()
    {
        if (PluggableNetClientOptionsValidator.FindError(this) is var (option, message))
        {
            throw new ArgumentException(message, option);
        }
    }
}
