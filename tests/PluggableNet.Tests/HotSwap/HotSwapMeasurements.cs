namespace PluggableNet.Tests.HotSwap;

/// <summary>
/// Hot-swap tests that measure the whole process (collected load contexts, heap size) run alone, after the
/// parallel ones, so no other test's allocations or loaded plugins count against them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HotSwapMeasurements
{
    public const string Name = "Hot swap measurements";
}
