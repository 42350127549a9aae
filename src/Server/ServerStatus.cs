using System.Text.Json.Serialization;

namespace PluggableNet.Server;

/// <summary>What <c>status</c> reports about a running host. Serialized as one JSON line on the control socket.</summary>
/// <remarks>
/// The swap fields: <c>failedSwaps</c> counts attempts that kept the old version serving; <c>lastSwapError</c> is the
/// reason of the latest failure and is cleared by the next successful swap; <c>retiredGenerationsLoaded</c> counts
/// swapped-out versions whose code has not been collected yet (it should fall back to 0 after a few full GCs).
/// <c>abandonedOffloads</c> counts offloaded calls still running after their connection went away (a plugin that
/// ignores cancellation), and <c>abandonedOffloadBytes</c> the request and answer bytes they held when abandoned; both bounded by
/// <c>Limits:MaxAbandonedOffloads</c>. <c>activeReactors</c> of <c>reactors</c> epoll reactors take connections now
/// (<c>adaptiveReactors</c>: <c>Server:ReactorThreads=auto</c> varies it; 0 and 0 on the Sockets transport, which has no
/// reactors); <c>reactorMigrations</c> counts connections moved between reactors.
/// </remarks>
public sealed record ServerStatus(
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("transport")] string Transport,
    [property: JsonPropertyName("plugin")] string Plugin,
    [property: JsonPropertyName("pluginVersion")] string PluginVersion,
    [property: JsonPropertyName("generation")] int Generation,
    [property: JsonPropertyName("swaps")] int Swaps,
    [property: JsonPropertyName("connections")] long Connections,
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("allocatedBytes")] long AllocatedBytes,
    [property: JsonPropertyName("uptimeSeconds")] double UptimeSeconds,
    [property: JsonPropertyName("failedSwaps")] int FailedSwaps = 0,
    [property: JsonPropertyName("lastSwapAt")] DateTimeOffset? LastSwapAt = null,
    [property: JsonPropertyName("lastSwapTrigger")] string? LastSwapTrigger = null,
    [property: JsonPropertyName("lastSwapError")] string? LastSwapError = null,
    [property: JsonPropertyName("retiredGenerationsLoaded")] int RetiredGenerationsLoaded = 0,
    [property: JsonPropertyName("abandonedOffloads")] int AbandonedOffloads = 0,
    [property: JsonPropertyName("abandonedOffloadBytes")] long AbandonedOffloadBytes = 0,
    [property: JsonPropertyName("activeReactors")] int ActiveReactors = 0,
    [property: JsonPropertyName("reactors")] int Reactors = 0,
    [property: JsonPropertyName("adaptiveReactors")] bool AdaptiveReactors = false,
    [property: JsonPropertyName("reactorMigrations")] long ReactorMigrations = 0)
{
    // The same figures as the PluggableNet meter's instruments (docs/observability.md), read at the same moment.
    [JsonPropertyName("acceptedConnections")]
    public long AcceptedConnections { get; init; }

    [JsonPropertyName("rejectedConnections")]
    public long RejectedConnections { get; init; }

    /// <summary>Connections closed at admission, by limit: max_connections, open_files, address_connections, address_rate.</summary>
    [JsonPropertyName("rejections")]
    public Dictionary<string, long> Rejections { get; init; } = [];

    /// <summary>Connections admitted without per-address limits because their set of the address table was full.</summary>
    [JsonPropertyName("untrackedAddresses")]
    public long UntrackedAddresses { get; init; }

    /// <summary>Times accepting paused because the open-files limit left less than half its reserve of descriptors free.</summary>
    [JsonPropertyName("acceptPauses")]
    public long AcceptPauses { get; init; }

    /// <summary>The open-files limit (soft RLIMIT_NOFILE) as it is now; 0 where unknown or unlimited.</summary>
    [JsonPropertyName("openFilesLimit")]
    public long OpenFilesLimit { get; init; }

    /// <summary>Descriptors in use now (read at most every 100 ms, followed by count in between); 0 where unknown.</summary>
    [JsonPropertyName("descriptorsInUse")]
    public long DescriptorsInUse { get; init; }

    /// <summary>Connections that negotiated protocol v2 since start (the rest spoke v1).</summary>
    public long V2Connections { get; init; }

    /// <summary>Sessions open now (connections of a session plugin; docs/sessions.md).</summary>
    public int ActiveSessions { get; init; }

    /// <summary>Pushes to sessions by outcome (queued, dropped, closed, gone, refused), as <c>pluggablenet.sessions.pushes</c>.</summary>
    public Dictionary<string, long> Pushes { get; init; } = [];

    /// <summary>State moves at a swap that succeeded, and that were rolled back.</summary>
    public long Migrations { get; init; }

    /// <inheritdoc cref="Migrations"/>
    public long MigrationsRolledBack { get; init; }

    /// <summary>How long the last state move kept sessions paused, in milliseconds.</summary>
    public double LastMigrationPauseMs { get; init; }

    [JsonPropertyName("bytesReceived")]
    public long BytesReceived { get; init; }

    [JsonPropertyName("bytesSent")]
    public long BytesSent { get; init; }

    /// <summary>Requests per plugin version ("Name Version"), as <c>pluggablenet.requests</c>.</summary>
    [JsonPropertyName("requestsByVersion")]
    public Dictionary<string, long> RequestsByVersion { get; init; } = [];

    /// <summary>By reason: not_digits, zero_length, too_large.</summary>
    [JsonPropertyName("protocolErrors")]
    public Dictionary<string, long> ProtocolErrors { get; init; } = [];

    /// <summary>By kind: read, receive_rate, write, idle, process.</summary>
    [JsonPropertyName("timeouts")]
    public Dictionary<string, long> Timeouts { get; init; } = [];

    /// <summary>By kind: exception, answer_too_large.</summary>
    [JsonPropertyName("pluginFaults")]
    public Dictionary<string, long> PluginFaults { get; init; } = [];

    [JsonPropertyName("offloadsActive")]
    public long OffloadsActive { get; init; }

    [JsonPropertyName("offloadsQueued")]
    public long OffloadsQueued { get; init; }

    [JsonPropertyName("backpressurePauses")]
    public long BackpressurePauses { get; init; }

    [JsonPropertyName("pausedConnections")]
    public long PausedConnections { get; init; }

    /// <summary>What <c>/readyz</c> answers: listening, plugin loaded, not stopping.</summary>
    [JsonPropertyName("ready")]
    public bool Ready { get; init; }

    /// <summary>
    /// <c>Logic:PluginsPath</c> as the host resolved it (absolute): the folder a plugin build deploys into to reach
    /// this host (<c>dotnet build -p:PluggableNetPluginsPath=…</c>).
    /// </summary>
    [JsonPropertyName("pluginsPath")]
    public string? PluginsPath { get; init; }

    /// <summary>The endpoint's TLS: certificates served, handshakes, certificate swaps; null when it speaks plain TCP.</summary>
    [JsonPropertyName("tls")]
    public TlsStatus? Tls { get; init; }

    /// <summary>The serving plugin's worker and batching when it runs in <c>Isolation Process</c>; null when it runs in-process.</summary>
    [JsonPropertyName("isolation")]
    public IsolationStatus? Isolation { get; init; }

    /// <summary>The endpoint these figures are of: <c>Endpoints:&lt;Name&gt;</c>, or <c>Default</c>.</summary>
    [JsonPropertyName("endpoint")]
    public string Endpoint { get; init; } = ServerSettings.DefaultEndpointName;

    /// <summary>
    /// The endpoint's framing: its kind (<c>AsciiDecimal</c> with its header width, or <c>UInt32BigEndian</c>) and
    /// whether a client may negotiate protocol v2 (<c>Framing:AllowV2</c>), e.g. <c>AsciiDecimal 5 digits, v2 allowed</c>.
    /// </summary>
    [JsonPropertyName("framing")]
    public string? Framing { get; init; }

    /// <summary>
    /// On the host's status: every endpoint's own status, in name order (as configuration lists sections). The host's figures above are the
    /// first endpoint's, except <see cref="Ready"/>, true only when every endpoint is ready. Null on an endpoint's status.
    /// </summary>
    [JsonPropertyName("endpoints")]
    public IReadOnlyList<ServerStatus>? Endpoints { get; init; }

    /// <summary>When this host took over from another in a host upgrade (docs/upgrade.md); null if it started fresh.</summary>
    [JsonPropertyName("upgradedAt")]
    public DateTimeOffset? UpgradedAt { get; init; }

    /// <summary>The build and pid of the host this one upgraded, e.g. <c>1.4.0+abc (/opt/…/PluggableNet.Host.dll), pid 4242</c>; null if none.</summary>
    [JsonPropertyName("upgradedFrom")]
    public string? UpgradedFrom { get; init; }
}

/// <summary>Source-generated JSON for the status line (trim- and reflection-free).</summary>
[JsonSerializable(typeof(ServerStatus))]
internal sealed partial class HostStatusJson : JsonSerializerContext;
