using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>The host pings a silent v2 connection, and closes it as half-open when no PONG comes.</summary>
public sealed class HeartbeatTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ASilentConnectionIsPingedAndAPongKeepsItOpen(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:PingInterval", "00:00:00.200"), ("Limits:PingTimeout", "00:00:01"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        for (var round = 0; round < 3; round++)
        {
            var ping = await connection.ReadFrameAsync();
            Assert.Equal((FrameType.Ping, 0u), (ping.Type, ping.Id));
            await connection.SendAsync(FrameType.Pong, 0, ping.Payload);
        }

        Assert.Equal("evila", await connection.AskAsync(1, "alive"));
        Assert.Equal(0, server.Server.Status().Timeouts["ping"]);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APeerThatNeverAnswersIsClosedAsHalfOpen(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:PingInterval", "00:00:00.200"), ("Limits:PingTimeout", "00:00:00.300"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        Assert.Equal("ko", await connection.AskAsync(1, "ok"));

        var ping = await connection.ReadFrameAsync();
        Assert.Equal(FrameType.Ping, ping.Type);
        await FrameTests.ExpectGoAwayAsync(connection, ErrorCode.PingTimeout, 1);

        await Wait.UntilAsync(() => server.Server.Status().Timeouts["ping"] == 1, Wait.Default, "the half-open close to be counted");
        await server.Log.WaitForAsync("closed: PingTimeout after");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AConnectionThatKeepsSendingIsNotPinged(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:PingInterval", "00:00:01"), ("Limits:PingTimeout", "00:00:01"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        // A request every 50 ms for 3 s: the connection is never silent for the 1 s interval.
        var until = Environment.TickCount64 + 3000;
        for (uint id = 1; Environment.TickCount64 < until; id++)
        {
            Assert.Equal("kcit", await connection.AskAsync(id, "tick"));
            await Task.Delay(50);
        }

        Assert.Equal(0, server.Server.Status().Timeouts["ping"]);
    }
}
