namespace PluggableNet.Server.Diagnostics;

/// <summary>
/// A counter that many threads add to without sharing a cache line: one cell per processor, summed when read.
/// For figures counted on the hot path (requests, bytes), where one shared <c>Interlocked</c> line would bounce
/// between the reactors' cores on every wake-up.
/// </summary>
internal sealed class StripedCounter
{
    // 128 bytes between cells: one cache line, plus the adjacent line the prefetcher pulls in with it.
    private const int Stride = 16;

    private readonly long[] _cells;
    private readonly int _mask;

    public StripedCounter()
    {
        var stripes = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount, 1, 64));
        _mask = stripes - 1;
        // One spare stride in front, so the first cell does not share a line with the array's header.
        _cells = new long[(stripes + 1) * Stride];
    }

    /// <summary>The sum of every cell: exact once the adders are quiet, a moment's view while they run.</summary>
    public long Value
    {
        get
        {
            long sum = 0;
            for (var i = Stride; i < _cells.Length; i += Stride)
            {
                sum += Volatile.Read(ref _cells[i]);
            }

            return sum;
        }
    }

    /// <summary>Adds on this processor's cell: an uncontended atomic add (a thread may migrate between the read and the add).</summary>
    public void Add(long value) => Interlocked.Add(ref _cells[((Thread.GetCurrentProcessorId() & _mask) + 1) * Stride], value);
}
