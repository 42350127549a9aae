using System.Diagnostics;

namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>A stretch of time on the Stopwatch clock: from the SIGHUP to the moment the host's "Swapped plugin" line was seen.</summary>
internal readonly record struct SwapWindow(long Start, long End);

/// <summary>The worst probe request that overlapped one swap window, and how many did.</summary>
internal readonly record struct WindowLatency(double WorstMs, int Requests);

/// <summary>
/// The probes' requests split by the swap windows: a request that overlaps a window (sent before it ended, answered
/// after it began) counts for that swap; the others, after the warm-up, are the latency outside swaps.
/// </summary>
internal sealed class ProbeLatencies
{
    private readonly (long Start, long End)[] _requests;

    public ProbeLatencies(IEnumerable<(long Start, long End)> requests, long warmedUpAt, IReadOnlyList<SwapWindow> windows)
    {
        _requests = [.. requests.Where(r => r.Start >= warmedUpAt)];
        Windows = windows;
        var outside = _requests.Where(r => !windows.Any(w => Overlaps(r, w))).Select(r => Ms(r.End - r.Start)).Order().ToArray();
        OutsideRequests = outside.Length;
        OutsideMedianMs = Percentile(outside, 0.5);
        OutsideP99Ms = Percentile(outside, 0.99);
        OutsideMaxMs = outside.Length == 0 ? null : outside[^1];
    }

    public IReadOnlyList<SwapWindow> Windows { get; }

    public int OutsideRequests { get; }

    public double? OutsideMedianMs { get; }

    public double? OutsideP99Ms { get; }

    /// <summary>The worst request outside every swap: how far the shared machine alone stretches one request.</summary>
    public double? OutsideMaxMs { get; }

    public WindowLatency During(SwapWindow window)
    {
        var worst = 0L;
        var count = 0;
        foreach (var request in _requests)
        {
            if (Overlaps(request, window))
            {
                worst = Math.Max(worst, request.End - request.Start);
                count++;
            }
        }

        return new WindowLatency(Ms(worst), count);
    }

    public static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static bool Overlaps((long Start, long End) request, SwapWindow window) => request.Start <= window.End && request.End >= window.Start;

    private static double? Percentile(double[] sorted, double p) => sorted.Length == 0 ? null : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
