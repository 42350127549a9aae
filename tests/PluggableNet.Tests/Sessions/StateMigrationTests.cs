using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>
/// A swap between session plugins moves each session's state as data (code_change), up and down, keeps groups, and
/// rolls back whole when the new version throws; the old generation is collected and its leftover timers cannot push.
/// </summary>
public sealed class StateMigrationTests
{
    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task StateMovesToTheNewVersionAndBackWithGroupsKept(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport);
        await using var alice = await harness.ConnectAsync(protocol);
        await using var bob = await harness.ConnectAsync(protocol);
        await alice.AskAsync("NICK alice");
        await bob.AskAsync("NICK bob");
        await alice.AskAsync("JOIN lobby");
        await bob.AskAsync("JOIN lobby");
        await alice.AskAsync("SAY lobby one");
        Assert.Equal("nick=alice;version=1;count=1;from=new;protocol=" + protocol.ToUpperInvariant(), await alice.AskAsync("STATE"));

        var up = await harness.SwapToAsync(2);
        Assert.True(up.Succeeded, up.Error);
        Assert.Equal("nick=alice;version=2;count=1;from=1.0.0;protocol=" + protocol.ToUpperInvariant(), await alice.AskAsync("STATE"));
        Assert.Equal("nick=bob;version=2;count=1;from=1.0.0;protocol=" + protocol.ToUpperInvariant(), await bob.AskAsync("STATE"));
        Assert.Equal("alice,bob", await bob.AskAsync("WHO lobby"));
        Assert.StartsWith("sent 2 0 0 0 2", await bob.AskAsync("SAY lobby two"));

        var down = await harness.SwapToAsync(1);
        Assert.True(down.Succeeded, down.Error);
        Assert.Equal("nick=alice;version=1;count=2;from=2.0.0 down;protocol=" + protocol.ToUpperInvariant(), await alice.AskAsync("STATE"));

        // Every push sent before, between and after the swaps arrived once, in order.
        Assert.Equal(["msg lobby alice: one", "msg lobby bob: two"], await TakePushesAsync(alice, 2));
        Assert.Equal(["msg lobby alice: one", "msg lobby bob: two"], await TakePushesAsync(bob, 2));

        await Wait.UntilAsync(() => Collect(up.PreviousLoadContext), TimeSpan.FromSeconds(20), "generation 1 collected");
    }

    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task AThrowingMigrationRollsTheWholeSwapBack(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport);
        await using var fine = await harness.ConnectAsync(protocol);
        await using var boom = await harness.ConnectAsync(protocol);
        await fine.AskAsync("NICK fine");
        await boom.AskAsync("NICK boom");
        await fine.AskAsync("JOIN r");
        await fine.AskAsync("SAY r hi");

        var result = await harness.SwapToAsync(2, throwing: true);
        Assert.False(result.Succeeded);
        Assert.Contains("ImportState", result.Error);
        Assert.Contains("cannot import boom", result.Error);
        Assert.True(harness.Server.Log.Contains("rolled back"));

        // Version 1 serves on, every session with its state, the shared count too.
        Assert.Equal("nick=fine;version=1;count=1;from=new;protocol=" + protocol.ToUpperInvariant(), await fine.AskAsync("STATE"));
        Assert.Equal("nick=boom;version=1;count=1;from=new;protocol=" + protocol.ToUpperInvariant(), await boom.AskAsync("STATE"));
        Assert.StartsWith("sent 1 0 0 0 2", await fine.AskAsync("SAY r again"));
        Assert.Equal(1, harness.Server.Server.Plugins.Sessions.Metrics.MigrationFailures);

        // Once nothing throws, the same version goes in.
        await boom.AskAsync("NICK notboom");
        var retry = await harness.SwapToAsync(2, throwing: true);
        Assert.True(retry.Succeeded, retry.Error);
        Assert.Equal("nick=notboom;version=2;count=2;from=1.0.0;protocol=" + protocol.ToUpperInvariant(), await boom.AskAsync("STATE"));
    }

    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task ATimerOfARetiredGenerationCannotPush(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport);
        await using var client = await harness.ConnectAsync(protocol);
        Assert.Equal("timer", await client.AskAsync("TIMER"));
        Assert.Equal("tick", await client.NextPushAsync());

        var result = await harness.SwapToAsync(2);
        Assert.True(result.Succeeded, result.Error);
        var metrics = harness.Server.Server.Plugins.Sessions.Metrics;
        await Wait.UntilAsync(() => metrics.PushesOf(PushResult.Refused) > 0, TimeSpan.FromSeconds(10), "the old timer's push refused");

        // Ticks queued before the swap may still arrive with the next answer or two; none after that.
        Assert.StartsWith("nick=anon;version=2", await client.AskAsync("STATE"));
        Assert.Equal("ok", await client.AskAsync("NICK after"));
        client.TakeKeptPushes();
        Assert.Equal("ok", await client.AskAsync("NICK again"));
        Assert.Equal("ok", await client.AskAsync("NICK last"));
        Assert.Empty(client.TakeKeptPushes());
        await harness.Server.Log.WaitForAsync("retired plugin generation");
    }

    private static async Task<List<string>> TakePushesAsync(SessionClient client, int count)
    {
        var pushes = new List<string>();
        for (var i = 0; i < count; i++)
        {
            pushes.Add(await client.NextPushAsync());
        }

        return pushes;
    }

    private static bool Collect(WeakReference? context)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return context is null || !context.IsAlive;
    }
}
