using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.HotSwap;

public sealed class SlowRequestFinishesOnOldVersionTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnOffloadedRequestInFlightIsAnsweredByTheVersionThatStartedIt(string transport)
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.Tagged("A", "1.0.0", offloaded: true));
        var marker = Path.Combine(plugins.PluginsPath, "slow.started");
        await using var server = TestServer.Start(transport, plugins.Settings(("Plugins:HotSwap:Marker", marker)));
        using var slow = server.Connect();

        await slow.SendAsync("slow");
        await Wait.UntilAsync(() => File.Exists(marker), because: "v1 started the slow request");
        plugins.WriteInPlace(HotSwapPlugins.Tagged("B", "2.0.0", offloaded: true));
        var swap = server.Server.ReloadAsync("test");

        // v2 serves new requests while v1 still runs the slow one; the swap waits for it before disposing v1.
        await Wait.UntilAsync(() => server.Server.Plugins.Current.Version == "2.0.0", because: "v2 published");
        using (var other = server.Connect())
        {
            Assert.Equal("B:quick", await other.AskAsync("quick"));
        }

        Assert.False(swap.IsCompleted, "the swap is still draining v1");
        Assert.Equal("A:slow", await slow.ReadStringAsync());
        var result = await swap;
        Assert.True(result.Succeeded, result.Error);
        Assert.True(result.Drained);
        Assert.Equal("B:next", await slow.AskAsync("next"));
        Assert.DoesNotContain(server.Log.Messages(), m => m.Contains("disposed anyway", StringComparison.Ordinal));
    }
}
