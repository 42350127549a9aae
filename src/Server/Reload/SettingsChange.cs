namespace PluggableNet.Server.Reload;

/// <summary>
/// Which settings a running host can take from a live configuration edit, and which wait for a restart. Both
/// sides of a comparison are valid <see cref="ServerSettings"/> records, read by <see cref="ServerSettings.Read"/>.
/// </summary>
internal static class SettingsChange
{
    /// <summary>
    /// Applied live: the plugin served (<c>Logic:Plugin</c>, and its <c>Plugins:&lt;Name&gt;</c> section, which is
    /// not a host setting) and whether its folder is watched (<c>Logic:HotReload</c>).
    /// </summary>
    public static readonly IReadOnlyList<string> LiveKeys = ["Logic:Plugin", "Logic:HotReload"];

    /// <summary>
    /// Everything else is fixed when the listener, the reactors, the codec and the connection limits are built,
    /// so a change is reported and takes effect at the next restart.
    /// </summary>
    private static readonly (string Key, Func<ServerSettings, object?> Value)[] s_restartKeys =
    [
        ("Server:Address", s => s.Address),
        ("Server:Port", s => s.Port),
        ("Server:Backlog", s => s.Backlog),
        // One entry per ServerSettings property: Server:ReactorThreads sets two (the count and whether it is auto).
        ("Server:ReactorThreads", s => s.AdaptiveReactors ? "auto" : s.ReactorThreads),
        ("Server:ReactorThreads", s => s.AdaptiveReactors ? "auto" : s.ReactorThreads),
        ("Server:ReactorMigrationDrillMs", s => s.ReactorMigrationDrillMs),
        ("Server:Transport", s => s.Transport),
        ("Server:DrainTimeout", s => s.DrainTimeout),
        ("Server:UpgradeTimeout", s => s.UpgradeTimeout),
        ("Server:ProxyProtocol", s => s.ProxyProtocol),
        ("Server:TrustedProxies", s => string.Join(",", s.TrustedProxies)),
        ("Framing:Kind", s => s.FramingKind),
        ("Framing:HeaderDigits", s => s.HeaderDigits),
        ("Framing:MaxFrameBytes", s => s.MaxFrameBytes),
        ("Framing:AllowV2", s => s.AllowV2),
        ("Logic:PluginsPath", s => s.PluginsPath),
        ("Logic:SwapDrainTimeout", s => s.SwapDrainTimeout),
        ("Logic:UnloadReport", s => s.UnloadReport),
        ("Limits:MaxConnections", s => s.MaxConnections),
        ("Limits:MaxPendingWriteBytes", s => s.MaxPendingWriteBytes),
        ("Limits:ReadTimeout", s => s.ReadTimeout),
        ("Limits:MinReceiveRate", s => s.MinReceiveRate),
        ("Limits:MinReceiveRateGrace", s => s.MinReceiveRateGrace),
        ("Limits:WriteTimeout", s => s.WriteTimeout),
        ("Limits:IdleTimeout", s => s.IdleTimeout),
        ("Limits:ProcessTimeout", s => s.ProcessTimeout),
        ("Limits:MaxConcurrentOffloads", s => s.MaxConcurrentOffloads),
        ("Limits:MaxAbandonedOffloads", s => s.MaxAbandonedOffloads),
        ("Limits:MaxConcurrentRequests", s => s.MaxConcurrentRequests),
        ("Limits:PingInterval", s => s.PingInterval),
        ("Limits:PingTimeout", s => s.PingTimeout),
        ("Limits:PluginFault", s => s.PluginFault),
        ("Limits:MaxConnectionsPerAddress", s => s.MaxConnectionsPerAddress),
        ("Limits:AcceptRatePerAddress", s => s.AcceptRatePerAddress),
        ("Limits:AcceptBurstPerAddress", s => s.AcceptBurstPerAddress),
        ("Limits:TcpKeepAliveTime", s => s.TcpKeepAliveTime),
        ("Limits:TcpKeepAliveInterval", s => s.TcpKeepAliveInterval),
        ("Limits:TcpKeepAliveCount", s => s.TcpKeepAliveCount),
        ("Control:Socket", s => s.ControlSocket),
        ("Telemetry:Otlp:Endpoint", s => s.Observability.OtlpEndpoint),
        ("Telemetry:Otlp:Protocol", s => s.Observability.OtlpProtocol),
        ("Telemetry:Prometheus:Endpoint", s => s.Observability.PrometheusEndpoint),
        ("Health:Endpoint", s => s.Observability.HealthEndpoint),
        ("Health:DrainDelay", s => s.Observability.DrainDelay),

        // The files behind these keys swap live (CertificateWatcher); pointing the keys elsewhere waits for a restart.
        ("Tls:Enabled", s => s.Tls.Enabled),
        ("Tls:CertificatePath", s => s.Tls.CertificatePath),
        ("Tls:KeyPath", s => s.Tls.KeyPath),
        ("Tls:PfxPath", s => s.Tls.PfxPath),
        ("Tls:Password", s => s.Tls.Password),
        ("Tls:Certificates", s => new Shown(string.Join("; ", s.Tls.SniCertificates), string.Join(";", s.Tls.SniCertificates.Select(c => c.Password?.Value)))),
        ("Tls:Protocols", s => s.Tls.Protocols),
        ("Tls:ClientCertificateMode", s => s.Tls.ClientCertificateMode),
        ("Tls:ClientCaPath", s => s.Tls.ClientCaPath),
        ("Tls:HandshakeTimeout", s => s.Tls.HandshakeTimeout),

        // The set of endpoints, and each one's name: listeners are opened at start (compared on the host's settings).
        ("Endpoints", s => string.Join(",", s.Endpoints.Select(e => e.Name))),
        ("Endpoints:<Name>", s => s.Name),
    ];

    /// <summary>The keys that wait for a restart, in the order <see cref="ServerSettings"/> declares them.</summary>
    public static IEnumerable<string> RestartKeys => s_restartKeys.Select(k => k.Key);

    /// <summary>The restart-only keys whose value differs, each with its new value.</summary>
    public static IReadOnlyList<(string Key, string Value)> NeedingRestart(ServerSettings previous, ServerSettings next) =>
        [.. s_restartKeys
            .Where(k => !Equals(k.Value(previous), k.Value(next)))
            .DistinctBy(k => k.Key)
            .Select(k => (k.Key, k.Value(next)?.ToString() ?? "(none)"))];

    /// <summary>Endpoints added to or removed from the configuration, which wait for a restart: (name, <c>added</c> or <c>removed</c>).</summary>
    public static IReadOnlyList<(string Name, string Change)> EndpointsNeedingRestart(IReadOnlyList<string> running, ServerSettings next) =>
        [.. next.Endpoints.Select(e => e.Name).Except(running, StringComparer.OrdinalIgnoreCase).Select(n => (n, "added")),
         .. running.Except(next.Endpoints.Select(e => e.Name), StringComparer.OrdinalIgnoreCase).Select(n => (n, "removed"))];

    /// <summary>A value compared with its secrets but shown without them (a password change is a change, never printed).</summary>
    private sealed record Shown(string Text, string Hidden)
    {
        public override string ToString() => Text;
    }
}
