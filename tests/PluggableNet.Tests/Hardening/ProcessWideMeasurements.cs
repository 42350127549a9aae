namespace PluggableNet.Tests.Hardening;

/// <summary>
/// Tests that measure the whole process (descriptors, allocated bytes) run alone, after the parallel ones,
/// so another test's sockets and buffers never count against them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMeasurements
{
    public const string Name = "Process-wide measurements";
}
