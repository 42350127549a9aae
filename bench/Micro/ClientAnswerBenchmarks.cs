using System.Buffers;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using PluggableNet.Client;

namespace PluggableNet.Micro;

/// <summary>
/// The client against a real loopback server (<see cref="EchoPeer"/>, which allocates nothing per request): a batch
/// of pipelined requests awaited together, answers into the callers' <see cref="IBufferWriter{T}"/>s or as new
/// arrays. Zero bytes allocated per request on the writer path is the goal; the array path shows what it saves.
/// </summary>
[MemoryDiagnoser]
public class ClientAnswerBenchmarks
{
    private const int Pipelined = 16;

    private readonly ArrayBufferWriter<byte>[] _writers = [.. Enumerable.Range(0, Pipelined).Select(_ => new ArrayBufferWriter<byte>(4096))];
    private readonly ValueTask<int>[] _lengths = new ValueTask<int>[Pipelined];
    private readonly ValueTask<byte[]>[] _arrays = new ValueTask<byte[]>[Pipelined];
    private EchoPeer _peer = null!;
    private PluggableNetClient _client = null!;
    private byte[] _payload = [];

    [Params(64, 1024)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = Frames.Letters(PayloadBytes);
        _peer = new EchoPeer();
        var options = new PluggableNetClientOptions { ConnectionsPerEndpoint = 1 };
        options.Endpoints.Add(_peer.EndPoint);
        _client = new PluggableNetClient(options);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _peer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Pipelined)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> IntoBufferWriter()
    {
        for (var i = 0; i < Pipelined; i++)
        {
            _writers[i].ResetWrittenCount();
            _lengths[i] = _client.SendAsync(_payload, _writers[i], CancellationToken.None);
        }

        var total = 0;
        for (var i = 0; i < Pipelined; i++)
        {
            total += await _lengths[i];
        }

        return total;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Pipelined)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> AsNewArrays()
    {
        for (var i = 0; i < Pipelined; i++)
        {
            _arrays[i] = _client.SendAsync(_payload, CancellationToken.None);
        }

        var total = 0;
        for (var i = 0; i < Pipelined; i++)
        {
            total += (await _arrays[i]).Length;
        }

        return total;
    }
}
