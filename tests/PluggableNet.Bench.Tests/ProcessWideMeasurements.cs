namespace PluggableNet.Bench.Tests;

/// <summary>
/// Tests that measure the whole test process (allocations counted by <c>GC.GetTotalAllocatedBytes</c>) run with no
/// other test beside them: a test running in parallel allocates into the same count (seen in CI: 760 KB in one second
/// charged to the load generator).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMeasurements
{
    public const string Name = "Process-wide measurements";
}
