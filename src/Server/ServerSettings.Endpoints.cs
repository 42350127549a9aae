using Microsoft.Extensions.Configuration;

namespace PluggableNet.Server;

/// <summary>
/// The endpoints: <c>Endpoints:&lt;Name&gt;</c> sections, each a listener with its own address and port, transport,
/// framing, plugin, limits and TLS (Kestrel's <c>ListenOptions</c>). Without any, the flat keys are the one endpoint,
/// <see cref="DefaultEndpointName"/>, exactly as before endpoints existed.
/// </summary>
public sealed partial record ServerSettings
{
    /// <summary>The name of the one endpoint the flat keys (<c>Server:*</c>, <c>Framing:*</c>, …) describe when no <c>Endpoints</c> section exists.</summary>
    public const string DefaultEndpointName = "Default";

    /// <summary>
    /// The endpoint's name: its <c>Endpoints:&lt;Name&gt;</c> section, or <see cref="DefaultEndpointName"/>. It tags the
    /// endpoint's log lines, metrics (<c>pluggablenet.endpoint</c>) and status.
    /// </summary>
    public string Name { get; init; } = DefaultEndpointName;

    /// <summary>
    /// The endpoints to serve, in name order (as configuration lists sections): one per <c>Endpoints:&lt;Name&gt;</c> section, each key unset in
    /// it taken from the flat keys (TLS excepted: <c>Endpoints:&lt;Name&gt;:Tls:*</c> only); or, with no section, the
    /// flat keys' one endpoint. Empty on an endpoint's own settings.
    /// </summary>
    public IReadOnlyList<ServerSettings> Endpoints { get; init; } = [];

    /// <summary>What this endpoint's keys are read under: empty for the flat keys, <c>Endpoints:&lt;Name&gt;:</c> for a section.</summary>
    internal string KeyPrefix { get; init; } = string.Empty;

    /// <summary>Reads and validates every key; throws <see cref="ConfigurationException"/> listing all errors.</summary>
    public static ServerSettings Read(IConfiguration configuration)
    {
        var reader = new SettingsReader(configuration);
        var flat = ReadEndpoint(reader, new ServerSettings()) with
        {
            ControlSocket = reader.OptionalText("Control:Socket"),
            Observability = ObservabilitySettings.Read(reader),
        };

        var endpoints = new List<ServerSettings>();
        foreach (var name in reader.ChildNames("Endpoints"))
        {
            // Inherits the flat keys as given, before the flat endpoint's own caps (its header width is not this one's).
            var section = reader.Under($"Endpoints:{name}:");
            if (!section.HasValue("Server:Port"))
            {
                reader.Errors.Add($"{section.Key("Server:Port")}: required: each endpoint listens on its own port (0 picks a free one).");
            }

            endpoints.Add(Validated(section, ReadEndpoint(section, flat) with { Name = name, KeyPrefix = $"Endpoints:{name}:" }));
        }

        var settings = Validated(reader, flat);
        foreach (var clash in endpoints.Where(e => e.Port != 0).GroupBy(e => (e.Address, e.Port)).Where(g => g.Count() > 1))
        {
            reader.Errors.Add($"Endpoints:{clash.ElementAt(1).Name}:Server:Port: {clash.Key.Port} on {clash.Key.Address} is also Endpoints:{clash.First().Name}'s; each endpoint needs its own address and port.");
        }

        reader.ThrowIfInvalid();
        return settings with { Endpoints = endpoints.Count > 0 ? endpoints : [settings] };
    }
}
