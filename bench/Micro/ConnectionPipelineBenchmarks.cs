using BenchmarkDotNet.Attributes;
using PluggableNet.Protocol;
using PluggableNet.Server;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;

namespace PluggableNet.Micro;

/// <summary>
/// The whole per-connection path without the kernel: bytes land in the receive buffer, every frame is parsed,
/// answered by Reverse and framed into the output buffer, which is then "sent". Zero bytes allocated is the goal.
/// </summary>
[MemoryDiagnoser]
public class ConnectionPipelineBenchmarks
{
    private readonly FrameCodec _codec = new(FramingKind.AsciiDecimal, 5, 1024 * 1024);
    private WireFeed _feed = null!;
    private byte[] _wire = [];

    [Params(1, 64, 65_536 - 5)]
    public int PayloadBytes { get; set; }

    [Params(1, 16)]
    public int Pipelined { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _wire = Frames.Repeat(Frames.Ascii(Frames.Letters(PayloadBytes)), Pipelined);
        _feed = new WireFeed(_codec, new ServerSettings().ToLimits());
    }

    [Benchmark]
    public int ReceiveAnswerSend() => _feed.ReceiveAnswerSend(_wire);
}
