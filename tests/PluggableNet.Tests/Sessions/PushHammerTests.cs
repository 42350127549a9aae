using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>
/// Pushes from several threads at once at one connection that answers its own requests meanwhile: every push arrives,
/// once, in each sender's order. Aimed at the transports' wake (on Sockets the reusable LoopSignal): a wake lost
/// between a push and the loop's next wait leaves the pushes queued until something else wakes the connection, and
/// here the last ones would never come.
/// </summary>
public sealed class PushHammerTests
{
    private const int Pushers = 4;
    private const int PushesEach = 1500;
    private const int SelfPushes = 2000;
    private const int Requests = 400;

    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task EveryPushFromManyThreadsArrivesWhileTheTargetIsAnswered(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport, 1, false, false, ("Limits:MaxPendingWriteBytes", "1048576"), ("Limits:PingInterval", "0"));
        await using var target = await harness.ConnectAsync(protocol);
        var id = long.Parse(await target.AskAsync("ID"));
        var pushers = new SessionClient[Pushers];
        for (var k = 0; k < Pushers; k++)
        {
            pushers[k] = await harness.ConnectAsync(k % 2 == 0 ? "v1" : "v2");
        }

        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));

            // Each pusher's requests push from its own connection's thread; PUSHME pushes from a thread-pool task.
            var pushing = pushers.Select((pusher, k) => Task.Run(async () =>
            {
                for (var n = 0; n < PushesEach; n++)
                {
                    while (await pusher.AskAsync($"PUSHTO {id} p{k} {n}", TimeSpan.FromSeconds(30)) is var result && result != "Queued")
                    {
                        // The target is behind (it reads between its own requests): the same message again, in time.
                        Assert.Equal("Dropped", result);
                        deadline.Token.ThrowIfCancellationRequested();
                        await Task.Yield();
                    }
                }
            })).ToArray();
            Assert.StartsWith("pushing", await target.AskAsync($"PUSHME {SelfPushes}"));

            // Meanwhile the target asks; pushes read among its answers are kept.
            for (var r = 0; r < Requests; r++)
            {
                Assert.StartsWith("nick=", await target.AskAsync("STATE", TimeSpan.FromSeconds(30)));
            }

            await Task.WhenAll(pushing).WaitAsync(deadline.Token);
            var received = target.TakeKeptPushes();
            const int Expected = (Pushers * PushesEach) + SelfPushes;
            while (received.Count < Expected)
            {
                received.Add(await target.NextPushAsync(TimeSpan.FromSeconds(15)));
            }

            for (var k = 0; k < Pushers; k++)
            {
                var prefix = $"msg p{k} ";
                Assert.Equal(Enumerable.Range(0, PushesEach), received.Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).Select(m => int.Parse(m[prefix.Length..])));
            }

            Assert.Equal(Enumerable.Range(0, SelfPushes), received.Where(m => m.StartsWith("msg self ", StringComparison.Ordinal)).Select(m => int.Parse(m["msg self ".Length..])));
            Assert.Equal(Expected, received.Count);
        }
        finally
        {
            foreach (var pusher in pushers)
            {
                await pusher.DisposeAsync();
            }
        }
    }
}
