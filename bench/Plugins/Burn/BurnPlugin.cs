using System.Buffers;
using System.Runtime.CompilerServices;

namespace PluggableNet.Bench.Plugins.Burn;

/// <summary>
/// The benchmark's CPU-heavy logic: a fixed chain of <see cref="Iterations"/> dependent multiply-adds (about 20 µs
/// of one core on the benchmark machine), then the Reverse answer. A fixed amount of work rather than a timed spin, so
/// a preempted reactor does not get the work done for free; the C and Kestrel baselines run the same chain.
/// </summary>
public sealed class BurnPlugin : ILogicPlugin
{
    /// <summary>Multiply-adds per request (the C baseline's and Kestrel baseline's burn default too).</summary>
    public const int Iterations = 16_000;

    private ulong _sink;

    /// <inheritdoc />
    public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
    {
        _sink ^= Burn(request.IsEmpty ? 1UL : request[0]);
        var destination = answer.GetSpan(request.Length)[..request.Length];
        request.CopyTo(destination);
        destination.Reverse();
        answer.Advance(request.Length);
    }

    /// <summary>One dependency chain the compiler can neither vectorise nor fold (a 64-bit LCG).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong Burn(ulong seed)
    {
        var x = seed;
        for (var i = 0; i < Iterations; i++)
        {
            x = (x * 6364136223846793005UL) + 1442695040888963407UL;
        }

        return x;
    }
}
