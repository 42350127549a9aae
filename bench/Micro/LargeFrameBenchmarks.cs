using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableNet.Host.Connections;
using PluggableNet.Host.Diagnostics;
using PluggableNet.Host.Framing;
using PluggableNet.Host.Hosting;
using PluggableNet.Host.Plugins;
using PluggableNet.Plugins.Reverse;

namespace PluggableNet.Micro;

/// <summary>
/// One frame far larger than the 16 KiB receive buffer (binary framing, as the driver's <c>huge</c> scenario), fed
/// in receives as large as the buffer offers, answered by Reverse and "sent": what growing the receive buffer costs.
/// </summary>
[MemoryDiagnoser]
public class LargeFrameBenchmarks
{
    private const int MaxFrameBytes = 1024 * 1024;

    private readonly FrameCodec _codec = new(FrameKind.UInt32BigEndian, 5, MaxFrameBytes);
    private PluginSwitch _plugins = null!;
    private FrameConnection _connection = null!;
    private byte[] _wire = [];

    [Params(64 * 1024, MaxFrameBytes)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _wire = Frames.Binary(Frames.Letters(PayloadBytes));
        _plugins = new PluginSwitch(new PluginGeneration("Reverse", "bench", 1, new ReversePlugin(), null, null, null));
        // Answers in pooled arrays (a pending limit above the answer), so the figures are the receive side's.
        var limits = new HostSettings().ToLimits() with { MaxPendingWriteBytes = 4 * MaxFrameBytes };
        var context = new ConnectionContext(_codec, limits, _plugins, new OffloadGate(1), new HostMetrics(), NullLogger.Instance);
        _connection = new FrameConnection(context, null, Environment.TickCount64);
    }

    [Benchmark]
    public int ReceiveAnswerSend() => WireFeed.ReceiveAnswerSend(_plugins, _connection, _wire);
}
