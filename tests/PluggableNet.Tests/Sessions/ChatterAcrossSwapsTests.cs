using System.Collections.Concurrent;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>
/// 1,000 sessions (half v1, half v2) in 100 rooms, one speaker per room talking without pause while the plugin is
/// swapped 50 times between two versions whose state differs in shape: every message reaches every member of its
/// room exactly once and in order, every nickname and the shared count survive, and every old generation is collected.
/// </summary>
public sealed class ChatterAcrossSwapsTests
{
    private const int Connections = 1000;
    private const int Rooms = 100;
    private const int Swaps = 50;
    private const int MaxMessagesPerSpeaker = 150;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task EveryMessageArrivesOnceInOrderAndStateSurvivesFiftySwaps(string transport)
    {
        // Heartbeats off: a listener that has read its room's last word stops reading, and would not answer a PING before
        // the final checks reach it.
        await using var harness = SessionHarness.Start(transport, 1, false, false, ("Limits:MaxPendingWriteBytes", "1048576"), ("Limits:PingInterval", "0"));
        var clients = new SessionClient[Connections];
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, Connections), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            {
                var client = await harness.ConnectAsync(i % 2 == 0 ? "v1" : "v2");
                clients[i] = client;
                Assert.Equal("ok", await client.AskAsync($"NICK c{i}"));
                Assert.StartsWith("joined", await client.AskAsync($"JOIN r{i % Rooms}"));
            });

            // Connection i < Rooms speaks in room i; the others only listen.
            var sent = new int[Rooms];
            var received = new ConcurrentDictionary<int, List<string>>();
            var swapping = true;
            var speakers = Enumerable.Range(0, Rooms).Select(i => Task.Run(async () =>
            {
                var list = received.GetOrAdd(i, _ => []);
                for (var seq = 0; seq < MaxMessagesPerSpeaker && Volatile.Read(ref swapping); seq++)
                {
                    Assert.StartsWith("sent ", await clients[i].AskAsync($"SAY r{i} {seq}", TimeSpan.FromSeconds(30)));
                    sent[i] = seq + 1;
                }

                // The last word, so every member knows its room's talk is over.
                Assert.StartsWith("sent ", await clients[i].AskAsync($"SAY r{i} end", TimeSpan.FromSeconds(30)));
                list.AddRange(clients[i].TakeKeptPushes());
            })).ToArray();
            var listeners = Enumerable.Range(Rooms, Connections - Rooms).Select(i => Task.Run(async () =>
            {
                var list = received.GetOrAdd(i, _ => []);
                while (list.Count == 0 || !list[^1].EndsWith(": end", StringComparison.Ordinal))
                {
                    list.Add(await clients[i].NextPushAsync(TimeSpan.FromSeconds(60)));
                }
            })).ToArray();

            var contexts = new List<WeakReference>();
            for (var swap = 1; swap <= Swaps; swap++)
            {
                var result = await harness.SwapToAsync(swap % 2 == 1 ? 2 : 1);
                Assert.True(result.Succeeded, result.Error);
                contexts.Add(result.PreviousLoadContext!);
            }

            Volatile.Write(ref swapping, false);
            await Task.WhenAll(speakers).WaitAsync(TimeSpan.FromSeconds(120));
            try
            {
                await Task.WhenAll(listeners).WaitAsync(TimeSpan.FromSeconds(120));
            }
            catch (TimeoutException)
            {
                var behind = Enumerable.Range(Rooms, Connections - Rooms).Where(i => received[i].Count < sent[i % Rooms]).ToList();
                Assert.Fail($"{behind.Count} listener(s) still short after 120 s, e.g. {string.Join("; ", behind.Take(5).Select(i => $"c{i} ({(i % 2 == 0 ? "v1" : "v2")}) has {received[i].Count} of {sent[i % Rooms]}"))}; sent {sent.Sum()} in all");
            }

            // The speakers' own messages come back to them too; read what is still on its way.
            for (var i = 0; i < Rooms; i++)
            {
                while (received[i].Count == 0 || !received[i][^1].EndsWith(": end", StringComparison.Ordinal))
                {
                    received[i].Add(await clients[i].NextPushAsync(TimeSpan.FromSeconds(30)));
                }
            }

            Assert.True(sent.Min() > 0, "every speaker spoke during the swaps");
            for (var i = 0; i < Connections; i++)
            {
                var room = i % Rooms;
                var want = Enumerable.Range(0, sent[room]).Select(seq => $"msg r{room} c{room}: {seq}").Append($"msg r{room} c{room}: end");
                Assert.Equal(want, received[i]);
            }

            // 50 swaps end on version 1 (an even count): every nickname came through 50 state moves.
            var total = sent.Sum() + Rooms;
            for (var i = 0; i < Connections; i++)
            {
                Assert.Equal($"nick=c{i};version=1;count={total};from=2.0.0 down;protocol={(i % 2 == 0 ? "V1" : "V2")}", await clients[i].AskAsync("STATE"));
            }

            Assert.Equal(Swaps, harness.Server.Server.Plugins.Sessions.Metrics.Migrations);
            await Wait.UntilAsync(
                () =>
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    return contexts.All(c => !c.IsAlive);
                },
                TimeSpan.FromSeconds(30),
                "every retired generation collected");
        }
        finally
        {
            foreach (var client in clients)
            {
                if (client is not null)
                {
                    await client.DisposeAsync();
                }
            }
        }
    }
}
