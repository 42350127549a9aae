using System.Buffers;
using BenchmarkDotNet.Attributes;
using PluggableNet.Plugins.Reverse;
using PluggableNet.Plugins.Upper;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;

namespace PluggableNet.Micro;

/// <summary>
/// The bundled plugins, and what calling a plugin through the hot-swap machinery (pin the current generation,
/// call through the interface, unpin) costs over a direct call.
/// </summary>
[MemoryDiagnoser]
public class PluginBenchmarks
{
    private readonly ArrayBufferWriter<byte> _answer = new(128 * 1024);
    private readonly ReversePlugin _reverse = new();
    private readonly UpperPlugin _upper = new();
    private PluginSwitch _switch = null!;
    private byte[] _ascii = [];
    private byte[] _utf8 = [];

    [Params(64, 65_536)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ascii = Frames.Letters(PayloadBytes);
        _utf8 = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("été σοφία ", (PayloadBytes / 16) + 1)))[..PayloadBytes];
        _switch = new PluginSwitch(new PluginGeneration("Reverse", "bench", 1, new ReversePlugin(), null, null, null));
    }

    [Benchmark(Baseline = true)]
    public int ReverseDirect()
    {
        _answer.ResetWrittenCount();
        _reverse.Process(_ascii, _answer);
        return _answer.WrittenCount;
    }

    [Benchmark]
    public int ReverseThroughSwitch()
    {
        _answer.ResetWrittenCount();
        using var lease = _switch.Acquire();
        lease.Generation.Plugin.Process(_ascii, _answer);
        return _answer.WrittenCount;
    }

    [Benchmark]
    public int UpperAscii()
    {
        _answer.ResetWrittenCount();
        _upper.Process(_ascii, _answer);
        return _answer.WrittenCount;
    }

    [Benchmark]
    public int UpperUtf8()
    {
        _answer.ResetWrittenCount();
        _upper.Process(_utf8, _answer);
        return _answer.WrittenCount;
    }
}
