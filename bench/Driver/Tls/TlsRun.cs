using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Driver.Tls;

/// <summary>One scenario against one server in one round.</summary>
internal sealed record TlsRun(string Scenario, string Server, int Round, LoadResult Load, double? ServerCpuSeconds, long? AllocatedBytes)
{
    /// <summary>Requests (or handshakes) per second in the measured window.</summary>
    public double Rate => Load.RequestsPerSecond;

    /// <summary>Server CPU seconds per 100,000 requests (or handshakes).</summary>
    public double? CpuPer100K => ServerCpuSeconds is { } cpu && Load.Requests > 0 ? cpu / Load.Requests * 100_000 : null;

    /// <summary>Cores the server kept busy in the window.</summary>
    public double? ServerCores => ServerCpuSeconds is { } cpu && Load.MeasuredSeconds > 0 ? cpu / Load.MeasuredSeconds : null;

    /// <summary>Cores the load generator kept busy in the window.</summary>
    public double? ClientCores => Load.ClientCpuSeconds > 0 && Load.MeasuredSeconds > 0 ? Load.ClientCpuSeconds / Load.MeasuredSeconds : null;

    public double? AllocatedPerRequest => AllocatedBytes is { } bytes && Load.Requests > 0 ? (double)bytes / Load.Requests : null;
}
