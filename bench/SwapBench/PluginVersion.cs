namespace PluggableNet.Bench.SwapBench;

/// <summary>One of the two versions the benchmark deploys alternately, and the answer it gives to a payload.</summary>
internal sealed record PluginVersion(string Name, byte[] Dll, Func<string, string> Answer);
