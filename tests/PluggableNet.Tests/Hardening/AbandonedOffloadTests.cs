using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

public sealed class AbandonedOffloadTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APluginIgnoringCancellationDoesNotKeepItsOffloadSlot(string transport)
    {
        await using var server = TestServer.Start(
            transport,
            ("Logic:PluginsPath", HardeningPlugins.Directory),
            ("Logic:Plugin", HardeningPlugins.Slow),
            ("Limits:ProcessTimeout", "0.3"),
            ("Limits:MaxConcurrentOffloads", "1"));
        using var deaf = server.Connect();
        using var next = server.Connect();

        await deaf.SendAsync("deaf:8000");
        Assert.True(await deaf.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        await server.Log.WaitForAsync("closed: ProcessTimeout");

        // The only slot is free again although the abandoned call is still running.
        var started = DateTime.UtcNow;
        Assert.Equal("cba", await next.AskAsync("abc"));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(4), "the second request waited for the abandoned one");
    }
}
