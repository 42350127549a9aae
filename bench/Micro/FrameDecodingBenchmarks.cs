using BenchmarkDotNet.Attributes;
using PluggableNet.Protocol;
using PluggableNet.Server.Framing;

namespace PluggableNet.Micro;

/// <summary>The codec alone: ns per frame to find and validate a header and slice the payload.</summary>
[MemoryDiagnoser]
public class FrameDecodingBenchmarks
{
    private readonly FrameCodec _codec = new(FramingKind.AsciiDecimal, 5, 1024 * 1024);
    private byte[] _wire = [];

    [Params(1, 64, 65_536 - 5)]
    public int PayloadBytes { get; set; }

    [Params(1, 16)]
    public int Pipelined { get; set; }

    [GlobalSetup]
    public void Setup() => _wire = Frames.Repeat(Frames.Ascii(Frames.Letters(Math.Min(PayloadBytes, 99_999))), Pipelined);

    [Benchmark]
    public int Decode()
    {
        var input = (ReadOnlySpan<byte>)_wire;
        var total = 0;
        while (_codec.TryReadFrame(input, out var payload, out var consumed) == HeaderStatus.Valid)
        {
            total += payload.Length;
            input = input[consumed..];
        }

        return total;
    }
}
