namespace PluggableNet.Bench.Driver;

/// <summary>The CPUs of the pinned scenario: the server on its own core(s), the client on core 0.</summary>
internal static class Pinning
{
    /// <summary>Core 0 for the client.</summary>
    public const string ClientCpus = "0";

    /// <summary>Every core but 0 for the server (core 0 alone on a 1-CPU machine, where pinning apart is impossible).</summary>
    public static string ServerCpus => Environment.ProcessorCount > 1 ? $"1-{Environment.ProcessorCount - 1}" : "0";
}
