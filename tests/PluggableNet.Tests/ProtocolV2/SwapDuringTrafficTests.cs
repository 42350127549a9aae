using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>Hot swaps under pipelined v2 traffic: every request is answered once, by one version or the other, and no connection notices.</summary>
public sealed class SwapDuringTrafficTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task SwapsUnderPipelinedV2TrafficLoseNothingAndMixNothing(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var stop = new CancellationTokenSource();
        var answered = new int[2];
        var loads = Enumerable.Range(0, 2).Select(c => PipelineAsync(server, c, answered, stop.Token)).ToArray();

        // Each swap lands while both connections are mid-stream: they answer more between one swap and the next.
        for (var swap = 0; swap < 6; swap++)
        {
            var before = answered.Select(a => Volatile.Read(ref a)).ToArray();
            await Wait.UntilAsync(() => Enumerable.Range(0, 2).All(c => Volatile.Read(ref answered[c]) >= before[c] + 64), Wait.Default, "traffic on both connections");
            var result = await server.Server.ReloadAsync("test", swap % 2 == 0 ? "Upper" : "Reverse");
            Assert.True(result.Succeeded, result.Error);
        }

        await stop.CancelAsync();
        await Task.WhenAll(loads);
    }

    private static async Task PipelineAsync(TestServer server, int index, int[] answered, CancellationToken stop)
    {
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        uint id = 0;
        while (!stop.IsCancellationRequested && answered[index] < 1_000_000)
        {
            var first = id + 1;
            var frames = new List<byte>();
            for (var i = 0; i < 16; i++)
            {
                id++;
                frames.AddRange(V2Connection.Request(id, $"c{index}-abc{id}"));
            }

            await connection.SendRawAsync([.. frames]);
            for (var expected = first; expected <= id; expected++)
            {
                var frame = await connection.ReadFrameAsync();
                var payload = $"c{index}-abc{frame.Id}";
                Assert.Equal((FrameType.Answer, expected), (frame.Type, frame.Id));
                Assert.True(frame.Text == payload.ToUpperInvariant() || frame.Text == new string(payload.Reverse().ToArray()), $"{frame.Text} answers {payload}");
                Interlocked.Increment(ref answered[index]);
            }
        }
    }
}
