// The tests measure throughput and start servers: on a 2-core machine they must not compete with each other.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
