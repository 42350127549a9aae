using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>The host pings a silent v2 connection, and closes it as half-open when no PONG comes.</summary>
public sealed class HeartbeatTests(ITestOutputHelper output)
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
    public async Task APingComesOnlyAfterTheIntervalOfSilence(string transport)
    {
        const int IntervalMs = 1000;
        await using var server = TestServer.Start(transport, ("Limits:PingInterval", "00:00:01"), ("Limits:PingTimeout", "00:00:05"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        // A request every 50 ms for 3 s. A PING may only come once the host heard nothing for the interval, which this
        // side can bound: the host heard the last request no earlier than it was sent. (A busy machine can stall this
        // test for longer than the interval; the host is then right to ping, and the test answers and goes on.)
        var until = Environment.TickCount64 + 3000;
        var pings = 0;
        var previousSentAt = Environment.TickCount64;
        for (uint id = 1; Environment.TickCount64 < until; id++)
        {
            var sentAt = Environment.TickCount64;
            await connection.RequestAsync(id, "tick");
            V2Frame frame;
            while ((frame = await connection.ReadFrameAsync()).Type == FrameType.Ping)
            {
                // The host may have decided before this request reached it: silence counts from the send before it.
                Assert.True(Environment.TickCount64 - previousSentAt >= IntervalMs, $"a PING {Environment.TickCount64 - previousSentAt} ms after the previous request");
                await connection.SendAsync(FrameType.Pong, 0, frame.Payload);
                pings++;
            }

            previousSentAt = sentAt;

            Assert.Equal((FrameType.Answer, id, "kcit"), (frame.Type, frame.Id, frame.Text));
            await Task.Delay(50);
        }

        Assert.Equal(0, server.Server.Status().Timeouts["ping"]);
        output.WriteLine($"{transport}: {pings} PING(s) answered during the run (0 unless the machine stalled this test)");
    }
}
