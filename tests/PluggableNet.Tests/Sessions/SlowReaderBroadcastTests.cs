using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>
/// Members that read slowly, in small pieces, get many large broadcasts (on epoll sent from the one shared copy, see
/// docs/sessions.md) interleaved with answers to their own requests: every byte, in order, on both protocols and
/// transports; and an answer never comes before a push that was queued before its request was sent.
/// </summary>
public sealed class SlowReaderBroadcastTests
{
    // Both sides of the splice threshold (SharedPayload.SpliceMinimum, 4 KiB), small ones between, the largest a v1
    // frame carries comfortably: copied and spliced pushes mixed in one stream.
    private static readonly int[] s_sizes = [4095, 4096, 12_000, 200, 30_000, 4097, 65_000, 9_000];

    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task SlowReadersGetEveryLargeBroadcastWholeInOrderAmongTheirAnswers(string transport, string protocol)
    {
        const int Messages = 48;
        const int Readers = 3;

        // Room for every push (about 1 MB per member): nothing is dropped, so each member's stream is known exactly.
        await using var harness = SessionHarness.Start(transport, 1, false, false, ("Limits:MaxPendingWriteBytes", "4194304"));
        await using var sender = await harness.ConnectAsync(protocol);
        Assert.Equal("ok", await sender.AskAsync("NICK s"));
        var readers = new List<SlowStreamReader>();
        try
        {
            for (var r = 0; r < Readers; r++)
            {
                var reader = await SlowStreamReader.ConnectAsync(harness.Server.EndPoint, protocol, seed: r);
                readers.Add(reader);
                await reader.AskAsync("JOIN big", 0);
                Assert.True(await reader.ReadUntilAsync(x => x.Answers.Count == 1, TimeSpan.FromSeconds(10)), "JOIN answered");
                Assert.Equal($"joined {r + 1}", reader.Answers[0]);
            }

            var texts = Enumerable.Range(0, Messages).Select(i => $"{i}:" + new string((char)('a' + (i % 26)), s_sizes[i % s_sizes.Length])).ToList();
            var reading = readers.Select(reader => Task.Run(() => reader.ReadUntilAsync(x => x.Pushes.Count == Messages && x.Answers.Count == 1 + (Messages / 2), TimeSpan.FromSeconds(90)))).ToList();
            for (var i = 0; i < Messages; i++)
            {
                Assert.StartsWith($"sent {Readers} 0 0 0", await sender.AskAsync($"SAY big {texts[i]}", TimeSpan.FromSeconds(30)));
                if (i % 2 == 1)
                {
                    // Broadcast i is queued for every member: a request sent now must be answered after it.
                    foreach (var reader in readers)
                    {
                        await reader.AskAsync("WHO big", pushesBefore: i + 1);
                    }
                }
            }

            var finished = await Task.WhenAll(reading).WaitAsync(TimeSpan.FromSeconds(120));
            var expected = texts.Select(t => "msg big s: " + t).ToList();
            for (var r = 0; r < Readers; r++)
            {
                var reader = readers[r];
                Assert.True(finished[r], $"reader {r}: {reader.Pushes.Count} of {Messages} pushes, {reader.Answers.Count} answers in time");
                Assert.Empty(reader.Violations);
                Assert.Equal(expected.Count, reader.Pushes.Count);
                for (var i = 0; i < Messages; i++)
                {
                    Assert.True(expected[i] == reader.Pushes[i], $"reader {r}, push {i}: {reader.Pushes[i].Length} bytes, expected {expected[i].Length}");
                }

                Assert.All(reader.Answers.Skip(1), answer => Assert.Equal("anon,anon,anon", answer));
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                await reader.DisposeAsync();
            }
        }
    }
}
