using System.Text.Json.Serialization;

namespace PluggableNet.Host.Hosting;

/// <summary>What <c>status</c> reports about a running host. Serialized as one JSON line on the control socket.</summary>
public sealed record HostStatus(
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
    [property: JsonPropertyName("uptimeSeconds")] double UptimeSeconds);

/// <summary>Source-generated JSON for the status line (trim- and reflection-free).</summary>
[JsonSerializable(typeof(HostStatus))]
internal sealed partial class HostStatusJson : JsonSerializerContext;
