using System.Diagnostics.Metrics;
using System.Security.Authentication;
using PluggableNet.Server.Diagnostics;

namespace PluggableNet.Server.Transport.Tls;

/// <summary>
/// The TLS instruments of the <c>PluggableNet</c> meter (docs/observability.md), read from <see cref="TlsCertificates"/>
/// when a listener collects; created only on a TLS endpoint. Tags are bounded: versions, failure kinds and outcomes from
/// fixed lists, certificate names from the configuration.
/// </summary>
internal static class TlsInstruments
{
    public const string ProtocolVersion = "tls.protocol.version";
    public const string CertificateName = "pluggablenet.tls.certificate";
    public const string Outcome = "pluggablenet.tls.reload.outcome";

    public static void Register(HostMeter meter, TlsCertificates certificates)
    {
        meter.Meter.CreateObservableCounter(
            "pluggablenet.tls.handshakes",
            () => Handshakes(meter, certificates.Counters),
            "{handshake}",
            "TLS handshakes completed, by TLS version.");
        meter.Meter.CreateObservableCounter(
            "pluggablenet.tls.handshake_failures",
            () => Failures(meter, certificates.Counters),
            "{handshake}",
            "TLS handshakes that failed, by kind: timeout, refused, client_certificate, closed.");
        meter.Meter.CreateObservableCounter(
            "pluggablenet.tls.certificate_reloads",
            () => Reloads(meter, certificates),
            "{reload}",
            "Certificate changes on disk: success (new handshakes use them) or failure (refused; the old certificates keep serving).");
        meter.Meter.CreateObservableGauge(
            "pluggablenet.tls.certificate.expiry",
            () => Expiry(meter, certificates),
            "s",
            "Seconds until each served certificate expires (negative once it has).");
    }

    private static IEnumerable<Measurement<long>> Handshakes(HostMeter meter, TlsCounters counters)
    {
        var endPoint = meter.EndPointTagSet;
        yield return new Measurement<long>(counters.Tls12Handshakes, [.. endPoint, new(ProtocolVersion, Version(SslProtocols.Tls12))]);
        yield return new Measurement<long>(counters.Tls13Handshakes, [.. endPoint, new(ProtocolVersion, Version(SslProtocols.Tls13))]);
    }

    private static IEnumerable<Measurement<long>> Failures(HostMeter meter, TlsCounters counters)
    {
        var endPoint = meter.EndPointTagSet;
        foreach (var kind in Enum.GetValues<TlsHandshakeFailure>())
        {
            yield return new Measurement<long>(counters.FailuresOf(kind), [.. endPoint, new(HostMeter.Tags.ErrorType, HostMeter.SnakeCase(kind.ToString()))]);
        }
    }

    private static IEnumerable<Measurement<long>> Reloads(HostMeter meter, TlsCertificates certificates)
    {
        var endPoint = meter.EndPointTagSet;
        yield return new Measurement<long>(certificates.Swaps, [.. endPoint, new(Outcome, "success")]);
        yield return new Measurement<long>(certificates.SwapFailures, [.. endPoint, new(Outcome, "failure")]);
    }

    private static IEnumerable<Measurement<double>> Expiry(HostMeter meter, TlsCertificates certificates)
    {
        var endPoint = meter.EndPointTagSet;
        var now = DateTimeOffset.UtcNow;
        foreach (var certificate in certificates.Current.Certificates)
        {
            yield return new Measurement<double>((certificate.NotAfter - now).TotalSeconds, [.. endPoint, new(CertificateName, certificate.Source.Name)]);
        }
    }

    /// <summary>OpenTelemetry's <c>tls.protocol.version</c> values: <c>1.2</c>, <c>1.3</c>.</summary>
    public static string Version(SslProtocols protocol) => protocol == SslProtocols.Tls13 ? "1.3" : "1.2";
}
