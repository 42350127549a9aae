using System.Buffers;
using System.Text;
using PluggableNet.Client;
using PluggableNet.Tests.Hardening;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Client;

/// <summary>
/// The answer written into the caller's <see cref="IBufferWriter{T}"/>: the right bytes, behind what the writer
/// already holds, and a steady pipelined load that allocates (almost) nothing per request. Process-wide allocation
/// counts, so these run alone (<see cref="ProcessWideMeasurements"/>).
/// </summary>
[Collection(ProcessWideMeasurements.Name)]
public sealed class AnswerIntoBufferWriterTests(ITestOutputHelper output)
{
    private const int Callers = 8;
    private const int RequestsPerCaller = 4_000;
    private const int PayloadBytes = 64;

    /// <summary>Bytes a request may allocate on average on the writer path: pool growth and timers, amortised.</summary>
    private const double WriterBoundPerRequest = 16;

    [Fact]
    public async Task TheAnswerIsAppendedToTheCallersWriterAndItsLengthReturned()
    {
        await using var server = TestServer.Start("Sockets");
        await using var client = new PluggableNetClient(ClientHosts.Options(server.EndPoint));
        var writer = new ArrayBufferWriter<byte>();
        writer.Write("> "u8);

        var length = await client.SendAsync("hello"u8.ToArray(), writer, CancellationToken.None);
        var second = await client.SendAsync("ab"u8.ToArray(), writer, new RequestOptions(Timeout: TimeSpan.FromSeconds(20)), CancellationToken.None);

        Assert.Equal(5, length);
        Assert.Equal(2, second);
        Assert.Equal("> ollehba", Encoding.ASCII.GetString(writer.WrittenSpan));
    }

    [Fact]
    public async Task ACancelledRequestWritesNothingWhenItsAnswerComesLate()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        RawPeer? peer = null;
        await using var _ = peer = new RawPeer(async (socket, _) =>
        {
            // The first answer is held back until the request was cancelled, then arrives anyway.
            var first = await peer!.ReadRequestAsync(socket);
            await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await RawPeer.WriteAsync(socket, RawPeer.Answer(first!));
            while (await peer.ReadRequestAsync(socket) is { } request)
            {
                await RawPeer.WriteAsync(socket, RawPeer.Answer(request));
            }
        });
        var options = ClientHosts.Options(peer.EndPoint);
        options.ConnectionsPerEndpoint = 1;
        await using var client = new PluggableNetClient(options);
        var dropped = new ArrayBufferWriter<byte>();
        var kept = new ArrayBufferWriter<byte>();
        using var cancellation = new CancellationTokenSource();

        var answer = client.SendAsync("hello"u8.ToArray(), dropped, cancellation.Token).AsTask();
        await Wait.UntilAsync(() => peer.Requests == 1, TimeSpan.FromSeconds(20), "the request to reach the peer");
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => answer);
        cancelled.SetResult();

        // The answer behind it on the same connection arrives after the dropped one.
        Assert.Equal(5, await client.SendAsync("after"u8.ToArray(), kept, CancellationToken.None));
        Assert.Equal("retfa", Encoding.ASCII.GetString(kept.WrittenSpan));
        Assert.Equal(0, dropped.WrittenCount);
    }

    [Fact]
    public async Task ASteadyPipelinedLoadAllocatesAlmostNothingPerRequest()
    {
        await using var peer = new EchoPeer();
        var options = ClientHosts.Options(peer.EndPoint);
        options.ConnectionsPerEndpoint = 2;
        await using var client = new PluggableNetClient(options);
        var payload = new byte[PayloadBytes];
        Random.Shared.NextBytes(payload);

        // Warm up: connections open, pools and the requests' pool fill, the JIT settles.
        await LoadAsync(client, payload, useWriter: true);
        await LoadAsync(client, payload, useWriter: false);

        var viaWriter = await MeasureAsync(client, payload, useWriter: true);
        var viaArray = await MeasureAsync(client, payload, useWriter: false);
        output.WriteLine($"{Callers * RequestsPerCaller} requests of {PayloadBytes} B: {viaWriter:F2} B/request into a writer, {viaArray:F2} B/request as arrays");

        // The measurement sees allocations: each array answer costs at least its payload and an array header.
        Assert.True(viaArray >= PayloadBytes + 16, $"the array path allocated {viaArray:F2} B/request; the measurement is blind");
        Assert.True(viaWriter <= WriterBoundPerRequest, $"the writer path allocated {viaWriter:F2} B/request, above {WriterBoundPerRequest}");
    }

    private static async Task<double> MeasureAsync(PluggableNetClient client, byte[] payload, bool useWriter)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await LoadAsync(client, payload, useWriter);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        return (double)allocated / (Callers * RequestsPerCaller);
    }

    private static async Task LoadAsync(PluggableNetClient client, byte[] payload, bool useWriter)
    {
        var callers = new Task[Callers];
        for (var i = 0; i < callers.Length; i++)
        {
            callers[i] = CallerAsync(client, payload, useWriter);
        }

        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));
    }

    private static async Task CallerAsync(PluggableNetClient client, ReadOnlyMemory<byte> payload, bool useWriter)
    {
        await Task.Yield();
        var writer = new ArrayBufferWriter<byte>(PayloadBytes);
        for (var i = 0; i < RequestsPerCaller; i++)
        {
            writer.ResetWrittenCount();
            var length = useWriter
                ? await client.SendAsync(payload, writer, CancellationToken.None)
                : (await client.SendAsync(payload, CancellationToken.None)).Length;
            if (length != PayloadBytes)
            {
                throw new InvalidDataException($"The echo answered {length} bytes to {PayloadBytes}.");
            }
        }
    }
}
