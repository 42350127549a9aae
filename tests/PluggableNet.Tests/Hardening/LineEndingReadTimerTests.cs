using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// The read limit runs from a frame's first byte. Line endings a telnet user types after a request are skipped,
/// and must not start the next frame's clock: a user who pauses longer than the read timeout is not cut.
/// </summary>
public sealed class LineEndingReadTimerTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APauseAfterATypedLineDoesNotCountAgainstTheNextFrame(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:ReadTimeout", "1"), ("Limits:IdleTimeout", "0"));
        using var client = server.Connect();

        await client.SendRawAsync("00003abc\r\n");
        Assert.Equal("cba", await client.ReadStringAsync());

        // Longer than the read timeout since the CR/LF, then a frame sent in two parts well within it.
        await Task.Delay(1600);
        await client.SendRawAsync("000");
        await Task.Delay(300);
        await client.SendRawAsync("02ok");

        Assert.Equal("ko", await client.ReadStringAsync());
        Assert.Equal(0, server.Server.Metrics.Timeouts);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AFrameStartedAfterLineEndingsStillTimesOut(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:ReadTimeout", "0.3"), ("Limits:IdleTimeout", "0"));
        using var client = server.Connect();

        await client.SendRawAsync("\r\n\r\n000");

        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "a partial frame after line endings was kept open");
        await server.Log.WaitForAsync("closed: ReadTimeout after");
    }
}
