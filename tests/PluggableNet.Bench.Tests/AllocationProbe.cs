using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Tests;

/// <summary>Reads this process's allocation counter at the edges of the measured window.</summary>
internal sealed class AllocationProbe : ILoadObserver
{
    private long _start;
    private long _end;

    public long AllocatedBytes => _end - _start;

    public void OnMeasurementStarting() => _start = GC.GetTotalAllocatedBytes(precise: true);

    public void OnMeasurementEnded() => _end = GC.GetTotalAllocatedBytes(precise: true);
}
