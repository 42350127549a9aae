using System.Net.Sockets;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>
/// GOAWAY makes resends exact: a host stopped under pipelined v2 load answers every request up to the id it names and
/// processes none above it, so a client that resends exactly those on another host gets every request processed
/// once. Counted on the server side: the plugin appends each request's token to a file both hosts share.
/// </summary>
public sealed class DrainResendTests
{
    private const int Connections = 4;
    private const int Window = 16;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AStopUnderLoadResendsExactlyTheIdsAboveGoAwayAndProcessesNothingTwice(string transport)
    {
        var processed = Path.Combine(V2Plugins.Directory, $"processed-{Guid.NewGuid():N}.txt");
        await using var first = V2Plugins.Start(transport, V2Plugins.Offloaded);
        await using var second = V2Plugins.Start(transport, V2Plugins.Offloaded);
        var answeredSoFar = 0;
        var loads = Enumerable.Range(0, Connections).Select(c => RunUntilGoAwayAsync(first, c, processed, () => Interlocked.Increment(ref answeredSoFar))).ToArray();

        await Wait.UntilAsync(() => Volatile.Read(ref answeredSoFar) >= 300, Wait.Default, "300 answers before the stop");
        await first.Server.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var outcomes = await Task.WhenAll(loads);

        var resent = 0;
        foreach (var outcome in outcomes)
        {
            Assert.NotNull(outcome.LastId);
            var lastId = outcome.LastId!.Value;
            Assert.All(outcome.Answered, id => Assert.True(id <= lastId, $"connection {outcome.Connection}: ANSWER {id} above GOAWAY's {lastId}"));
            Assert.All(outcome.Refused, id => Assert.True(id > lastId, $"connection {outcome.Connection}: SHUTTING_DOWN {id} at or below GOAWAY's {lastId}"));
            Assert.All(outcome.Sent.Where(id => id <= lastId), id => Assert.Contains(id, outcome.Answered));

            var toResend = outcome.Sent.Where(id => id > lastId).ToList();
            resent += toResend.Count;
            using var again = await V2Connection.OpenAsync(second.EndPoint);
            uint newId = 0;
            foreach (var id in toResend)
            {
                var token = Token(outcome.Connection, id);
                Assert.Equal(token, await again.AskAsync(++newId, $"log:{processed}:{token}"));
            }
        }

        var tokens = File.ReadAllLines(processed);
        var sent = outcomes.SelectMany(o => o.Sent.Select(id => Token(o.Connection, id))).ToList();
        Assert.Empty(tokens.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Equal(sent.Order(), tokens.Order());
        Assert.True(resent > 0 || outcomes.All(o => o.Sent.Count == o.Answered.Count), "every request was either answered or resent");
    }

    private static string Token(int connection, uint id) => $"c{connection}-{id}";

    private static async Task<Outcome> RunUntilGoAwayAsync(TestServer server, int index, string processed, Func<int> onAnswer)
    {
        var outcome = new Outcome(index);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        uint nextId = 0;
        var sending = true;
        while (outcome.LastId is null)
        {
            var batch = 0;
            if (sending)
            {
                var frames = new List<byte>();
                for (; batch < Window; batch++)
                {
                    var id = ++nextId;
                    frames.AddRange(V2Connection.Request(id, $"log:{processed}:{Token(index, id)}"));
                    outcome.Sent.Add(id);
                }

                try
                {
                    await connection.SendRawAsync([.. frames]);
                }
                catch (SocketException)
                {
                    // The host closed after its GOAWAY, which is still to be read.
                    sending = false;
                }
            }

            for (var outcomes = 0; outcome.LastId is null && (outcomes < batch || !sending); outcomes++)
            {
                var frame = await connection.ReadFrameAsync();
                switch (frame.Type)
                {
                    case FrameType.Answer:
                        outcome.Answered.Add(frame.Id);
                        onAnswer();
                        break;
                    case FrameType.Error when frame.Error.Code == ErrorCode.ShuttingDown:
                        outcome.Refused.Add(frame.Id);
                        break;
                    case FrameType.GoAway:
                        Assert.Equal(ErrorCode.NoError, frame.GoAway.Code);
                        outcome.LastId = frame.GoAway.LastId;
                        break;
                    default:
                        Assert.Fail($"connection {index}: unexpected {frame} {frame.Text}");
                        break;
                }
            }
        }

        Assert.Equal(0, await connection.ReadToEndAsync());
        return outcome;
    }

    private sealed class Outcome(int connection)
    {
        public int Connection { get; } = connection;

        public List<uint> Sent { get; } = [];

        public HashSet<uint> Answered { get; } = [];

        public HashSet<uint> Refused { get; } = [];

        public uint? LastId { get; set; }
    }
}
