namespace PluggableNet.Server;

/// <summary>
/// The <c>Telemetry:*</c> and <c>Health:*</c> keys: metric export and the health endpoint, all off by default.
/// Read and validated with the other settings, so a bad URL fails start-up naming its key.
/// </summary>
internal sealed record ObservabilitySettings
{
    /// <summary>How long readiness reports 503 before a stop closes the listener, when <c>Health:Endpoint</c> is set.</summary>
    public static readonly TimeSpan DefaultDrainDelay = TimeSpan.FromSeconds(2);

    /// <summary><c>Telemetry:Otlp:Endpoint</c>, default none: an OTLP collector (gRPC <c>:4317</c>, or HTTP with <see cref="OtlpProtocol"/>).</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary><c>Telemetry:Otlp:Protocol</c>, default <c>grpc</c>: <c>grpc</c> or <c>http/protobuf</c>.</summary>
    public string OtlpProtocol { get; init; } = "grpc";

    /// <summary><c>Telemetry:Prometheus:Endpoint</c>, default none: where Prometheus scrapes, e.g. <c>http://127.0.0.1:9464/metrics</c>.</summary>
    public HttpEndPoint? PrometheusEndpoint { get; init; }

    /// <summary><c>Health:Endpoint</c>, default none: the base of <c>/healthz</c> and <c>/readyz</c>, e.g. <c>http://127.0.0.1:9465/</c>.</summary>
    public HttpEndPoint? HealthEndpoint { get; init; }

    /// <summary>
    /// <c>Health:DrainDelay</c>, default 2 s with <c>Health:Endpoint</c>, else 0: on a graceful stop, readiness turns
    /// 503 this long before the listener closes (connections still accepted and served meanwhile), so a balancer
    /// takes the host out first. Added before <c>Server:DrainTimeout</c>, not taken from it.
    /// </summary>
    public TimeSpan DrainDelay { get; init; }

    /// <summary>Whether any metric exporter is on (which also turns on the runtime's own metrics).</summary>
    public bool ExportsMetrics => OtlpEndpoint is not null || PrometheusEndpoint is not null;

    internal static ObservabilitySettings Read(SettingsReader reader)
    {
        var otlp = reader.OptionalText("Telemetry:Otlp:Endpoint");
        Uri? otlpUri = null;
        if (otlp is not null && (!Uri.TryCreate(otlp, UriKind.Absolute, out otlpUri) || otlpUri.Scheme is not ("http" or "https")))
        {
            reader.Errors.Add($"Telemetry:Otlp:Endpoint: '{otlp}' is not an http:// or https:// URL.");
            otlpUri = null;
        }

        var protocol = reader.Text("Telemetry:Otlp:Protocol", "grpc").ToLowerInvariant();
        if (protocol is not ("grpc" or "http/protobuf"))
        {
            reader.Errors.Add($"Telemetry:Otlp:Protocol: '{protocol}' is not grpc or http/protobuf.");
            protocol = "grpc";
        }

        var prometheus = HttpEndPoint.Read(reader, "Telemetry:Prometheus:Endpoint", "/metrics");
        var health = HttpEndPoint.Read(reader, "Health:Endpoint", "/");
        if (prometheus is not null && health is not null && prometheus.SharesListenerWith(health) && health.PathBase.TrimEnd('/') + "/healthz" is var clash && (prometheus.Path == clash || prometheus.Path == health.PathBase.TrimEnd('/') + "/readyz"))
        {
            reader.Errors.Add($"Telemetry:Prometheus:Endpoint: '{prometheus.Path}' is a health path of Health:Endpoint on the same port.");
        }

        if (prometheus is not null && health is not null && !prometheus.SharesListenerWith(health) && prometheus.Port == health.Port)
        {
            reader.Errors.Add($"Health:Endpoint: port {health.Port} is Telemetry:Prometheus:Endpoint's with another address; use the same address (one listener) or another port.");
        }

        return new ObservabilitySettings
        {
            OtlpEndpoint = otlpUri,
            OtlpProtocol = protocol,
            PrometheusEndpoint = prometheus,
            HealthEndpoint = health,
            DrainDelay = reader.Duration("Health:DrainDelay", health is null ? TimeSpan.Zero : DefaultDrainDelay),
        };
    }
}
