using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

public sealed class IdleTimeoutTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ConnectionThatSendsNothingIsClosedAfterTheIdleTimeout(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:IdleTimeout", "0.3"));
        using var client = server.Connect();

        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "an idle connection was kept open");
        await server.Log.WaitForAsync("closed: IdleTimeout after");
        await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == 0, because: "the idle connection to be gone");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ZeroTurnsTheIdleTimeoutOff(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:IdleTimeout", "0"), ("Limits:ReadTimeout", "0.2"), ("Limits:ProcessTimeout", "0.2"));
        using var client = server.Connect();

        // Several scan intervals (50 ms here) pass with nothing sent.
        await Task.Delay(800);

        Assert.Equal("evila", await client.AskAsync("alive"));
        Assert.Equal(0, server.Server.Metrics.Timeouts);
    }
}
