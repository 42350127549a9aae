using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.EndToEnd;

/// <summary>
/// Frames far larger than the receive buffer (64 KiB and the 1 MiB maximum), pipelined among small ones, come back
/// whole and in order over a real loopback socket, sent in chunks of uneven sizes.
/// </summary>
public sealed class LargeFrameTests
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task PipelinedLargeAndSmallFramesAreAnsweredWholeAndInOrder(string transport)
    {
        await using var server = TestServer.Start(transport, ("Framing:Kind", "UInt32BigEndian"), ("Framing:MaxFrameBytes", $"{MiB}"));
        using var client = server.Connect(binary: true);
        var random = new Random(12);
        int[] lengths = [7, MiB, 3, 64 * 1024, 64 * 1024, 1, MiB, MiB, 5, 64 * 1024, 100_000, 2, MiB - 1, 9];
        var payloads = lengths.Select(length =>
        {
            var payload = new byte[length];
            random.NextBytes(payload);
            return payload;
        }).ToArray();
        var wire = payloads.SelectMany(p => client.Frame(p)).ToArray();

        // Sent while the answers are read: the host stops reading while a megabyte answer waits for this client.
        var sending = Task.Run(async () =>
        {
            for (var offset = 0; offset < wire.Length;)
            {
                var count = Math.Min(random.Next(1, 200_000), wire.Length - offset);
                await client.SendRawAsync(wire.AsMemory(offset, count));
                offset += count;
            }
        });

        foreach (var payload in payloads)
        {
            var answer = await client.ReadFrameAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(payload.Length, answer.Length);
            Assert.True(payload.AsSpan().SequenceEqual(answer.AsSpan().ToArray().Reverse().ToArray()), $"the answer to a {payload.Length}-byte request is not its reverse");
        }

        await sending;

        // And the connection still serves small requests afterwards.
        Assert.Equal("cba", await client.AskAsync("abc"));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task SeveralConnectionsSendingMegabyteFramesAtOnceAreEachAnswered(string transport)
    {
        await using var server = TestServer.Start(transport, ("Framing:Kind", "UInt32BigEndian"), ("Framing:MaxFrameBytes", $"{MiB}"));
        var clients = Enumerable.Range(0, 4).Select(_ => server.Connect(binary: true)).ToArray();
        try
        {
            await Task.WhenAll(clients.Select(async (client, i) =>
            {
                for (var round = 0; round < 3; round++)
                {
                    var payload = new byte[round == 1 ? 64 * 1024 : MiB];
                    new Random((i * 10) + round).NextBytes(payload);
                    var sending = client.SendAsync(payload);
                    var answer = await client.ReadFrameAsync(TimeSpan.FromSeconds(30));
                    await sending;
                    Array.Reverse(answer);
                    Assert.Equal(payload, answer);
                }
            }));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}
