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
/// The whole per-connection path without the kernel: bytes land in the receive buffer, every frame is parsed,
/// answered by Reverse and framed into the output buffer, which is then "sent". Zero bytes allocated is the goal.
/// </summary>
[MemoryDiagnoser]
public class ConnectionPipelineBenchmarks
{
    private readonly FrameCodec _codec = new(FrameKind.AsciiDecimal, 5, 1024 * 1024);
    private PluginSwitch _plugins = null!;
    private FrameConnection _connection = null!;
    private byte[] _wire = [];

    [Params(1, 64, 65_536 - 5)]
    public int PayloadBytes { get; set; }

    [Params(1, 16)]
    public int Pipelined { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _wire = Frames.Repeat(Frames.Ascii(Frames.Letters(PayloadBytes)), Pipelined);
        _plugins = new PluginSwitch(new PluginGeneration("Reverse", "bench", 1, new ReversePlugin(), null, null, null));
        var context = new ConnectionContext(_codec, new HostSettings().ToLimits(), _plugins, new OffloadGate(1), new HostMetrics(), NullLogger.Instance);
        _connection = new FrameConnection(context, null, Environment.TickCount64);
    }

    [Benchmark]
    public int ReceiveAnswerSend() => WireFeed.ReceiveAnswerSend(_plugins, _connection, _wire);
}
