using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>A member that never reads, in a busy room: its pushes are dropped (or it is closed) within its write limit, and the others get every message.</summary>
public sealed class SlowConsumerTests
{
    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task ANonReaderLosesMessagesNotMemoryAndOthersGetThemAll(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport, 1, false, false, ("Limits:MaxPendingWriteBytes", "65536"));
        await using var speaker = await harness.ConnectAsync(protocol);
        await using var reader = await harness.ConnectAsync(protocol);
        await using var sleeper = await harness.ConnectAsync(protocol);
        await speaker.AskAsync("JOIN room");
        await reader.AskAsync("JOIN room");
        await sleeper.AskAsync("JOIN room");

        // Far more than the kernel's socket buffers hold, so the sleeper's share must back up into the host.
        var text = new string('x', 16_000);
        const int Messages = 1500;
        using var window = new SemaphoreSlim(2);
        var readAll = Task.Run(async () =>
        {
            for (var i = 0; i < Messages; i++)
            {
                Assert.Equal($"msg room anon: {i} {text}", await reader.NextPushAsync());
                window.Release();
            }
        });

        var dropped = 0;
        for (var i = 0; i < Messages; i++)
        {
            // The reader keeps up (at most 2 messages, 32 KB, behind): only the sleeper falls behind.
            if (!await window.WaitAsync(TimeSpan.FromSeconds(30)) || readAll.IsFaulted)
            {
                await readAll.WaitAsync(TimeSpan.FromSeconds(1));
                Assert.Fail($"the reader stopped keeping up at message {i}");
            }

            var parts = (await speaker.AskAsync($"SAY room {i} {text}")).Split(' ');
            dropped += int.Parse(parts[2]);
        }

        await readAll.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(dropped > 0, "the non-reader's pushes were dropped");
        Assert.True(dropped < Messages, "the first pushes reached its socket buffers");
        Assert.Equal(3, harness.Server.Server.Plugins.Sessions.Count);
        Assert.True(harness.Server.Server.Plugins.Sessions.Metrics.PushesOf(PushResult.Dropped) >= dropped);
    }

    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task UnderCloseConnectionANonReaderIsCutAndTheRoomGoesOn(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport, RoomPlugin.BuildDirectory(1, closeSlow: true), ("Limits:MaxPendingWriteBytes", "65536"));
        await using var speaker = await harness.ConnectAsync(protocol);
        await using var sleeper = await harness.ConnectAsync(protocol);
        await speaker.AskAsync("JOIN room");
        await sleeper.AskAsync("JOIN room");

        var text = new string('x', 16_000);
        var closed = 0;
        for (var i = 0; i < 1500 && closed == 0; i++)
        {
            closed = int.Parse((await speaker.AskAsync($"SAY room {i} {text}")).Split(' ')[2]);
            speaker.TakeKeptPushes();
        }

        Assert.Equal(1, closed);
        await Wait.UntilAsync(() => harness.Server.Server.Plugins.Sessions.Count == 1, TimeSpan.FromSeconds(10), "the slow member's session ended");
        Assert.True(harness.Server.Server.Plugins.Sessions.Metrics.PushesOf(PushResult.Closed) >= 1);
        Assert.StartsWith("sent 1 0 0 0", await speaker.AskAsync("SAY room after"));
    }
}
