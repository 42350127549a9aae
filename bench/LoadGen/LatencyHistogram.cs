using System.Diagnostics;
using HdrHistogram;

namespace PluggableNet.LoadGen;

/// <summary>Creates and reads the HDR histograms that hold latencies in nanoseconds.</summary>
internal static class LatencyHistogram
{
    // One minute is far beyond any sane answer time; larger values are clamped, not dropped.
    private const long HighestNanoseconds = 60L * 1_000_000_000;

    private static readonly double _nanosecondsPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    /// <summary>A histogram from 1 ns to one minute with 3 significant digits.</summary>
    public static LongHistogram Create() => new(1, HighestNanoseconds, 3);

    /// <summary>Converts a <see cref="Stopwatch"/> tick delta to nanoseconds, clamped to the trackable range.</summary>
    public static long ToNanoseconds(long ticks)
    {
        var nanoseconds = (long)(ticks * _nanosecondsPerTick);
        return Math.Clamp(nanoseconds, 1, HighestNanoseconds);
    }

    /// <summary>Value at a percentile, in microseconds; 0 for an empty histogram.</summary>
    public static double PercentileUs(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(percentile) / 1000.0;
}
