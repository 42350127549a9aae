using System.Text.Json.Serialization;

namespace PluggableNet.Server;

/// <summary>What <c>status</c> reports about a TLS endpoint: the certificates served now, handshakes and certificate swaps.</summary>
public sealed record TlsStatus
{
    /// <summary>The TLS versions offered (<c>Tls:Protocols</c>), such as <c>Tls12, Tls13</c>.</summary>
    [JsonPropertyName("protocols")]
    public string Protocols { get; init; } = string.Empty;

    /// <summary><c>Tls:ClientCertificateMode</c>: NoCertificate, AllowCertificate or RequireCertificate.</summary>
    [JsonPropertyName("clientCertificateMode")]
    public string ClientCertificateMode { get; init; } = string.Empty;

    /// <summary>The certificates new handshakes get: the default one first, then those chosen by SNI.</summary>
    [JsonPropertyName("certificates")]
    public IReadOnlyList<TlsCertificateStatus> Certificates { get; init; } = [];

    /// <summary>Handshakes completed since start, by TLS version (<c>1.2</c>, <c>1.3</c>).</summary>
    [JsonPropertyName("handshakes")]
    public Dictionary<string, long> Handshakes { get; init; } = [];

    /// <summary>Handshakes failed since start, by kind: timeout, refused, client_certificate, closed.</summary>
    [JsonPropertyName("handshakeFailures")]
    public Dictionary<string, long> HandshakeFailures { get; init; } = [];

    /// <summary>Certificate changes on disk published since start.</summary>
    [JsonPropertyName("certificateSwaps")]
    public long CertificateSwaps { get; init; }

    /// <summary>Certificate changes on disk refused since start (the certificates in use kept serving).</summary>
    [JsonPropertyName("failedCertificateSwaps")]
    public long FailedCertificateSwaps { get; init; }

    [JsonPropertyName("lastCertificateSwapAt")]
    public DateTimeOffset? LastCertificateSwapAt { get; init; }

    /// <summary>Why the latest certificate change was refused; cleared by the next successful swap.</summary>
    [JsonPropertyName("lastCertificateError")]
    public string? LastCertificateError { get; init; }
}

/// <summary>One certificate a TLS endpoint serves now.</summary>
/// <param name="Name"><c>default</c>, or its name under <c>Tls:Certificates</c>.</param>
/// <param name="Subject">The certificate's subject (<c>CN=example.com</c>).</param>
/// <param name="Thumbprint">Its SHA-1 thumbprint, as certificate tools print it.</param>
/// <param name="NotAfter">When it expires.</param>
/// <param name="HostNames">The SNI names it serves; empty for the default one.</param>
public sealed record TlsCertificateStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("thumbprint")] string Thumbprint,
    [property: JsonPropertyName("notAfter")] DateTimeOffset NotAfter,
    [property: JsonPropertyName("hostNames")] IReadOnlyList<string> HostNames);
