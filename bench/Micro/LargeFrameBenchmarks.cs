using BenchmarkDotNet.Attributes;
using PluggableNet.Protocol;
using PluggableNet.Server;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;

namespace PluggableNet.Micro;

/// <summary>
/// One frame far larger than the 16 KiB receive buffer (binary framing, as the driver's <c>huge</c> scenario), fed
/// in receives as large as the buffer offers, answered by Reverse and "sent": what growing the receive buffer costs.
/// </summary>
[MemoryDiagnoser]
public class LargeFrameBenchmarks
{
    private const int MaxFrameBytes = 1024 * 1024;

    private readonly FrameCodec _codec = new(FramingKind.UInt32BigEndian, 5, MaxFrameBytes);
    private WireFeed _feed = null!;
    private byte[] _wire = [];

    [Params(64 * 1024, MaxFrameBytes)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _wire = Frames.Binary(Frames.Letters(PayloadBytes));
        // Answers in pooled arrays (a pending limit above the answer), so the figures are the receive side's.
        var limits = new ServerSettings().ToLimits() with { MaxPendingWriteBytes = 4 * MaxFrameBytes };
        _feed = new WireFeed(_codec, limits);
    }

    [Benchmark]
    public int ReceiveAnswerSend() => _feed.ReceiveAnswerSend(_wire);
}
