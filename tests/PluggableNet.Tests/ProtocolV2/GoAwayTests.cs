using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>
/// Every graceful close of a v2 connection ends with GOAWAY naming the last request processed: those at or below it
/// were answered, those above it were not processed, so a client resends exactly those.
/// </summary>
public sealed class GoAwayTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ADrainSendsGoAwayWithTheLastIdThenEndsCleanly(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        Assert.Equal("eno", await connection.AskAsync(3, "one"));

        var stop = server.Server.StopAsync();

        await FrameTests.ExpectGoAwayAsync(connection, ErrorCode.NoError, 3, "the server is shutting down");
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ADrainAnswersWhatIsInFlightAndRefusesWhatComesAfter(string transport)
    {
        await using var server = V2Plugins.Start(transport, V2Plugins.Offloaded);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        // Long enough that the late request is refused while the call still runs, on a loaded machine too.
        await connection.RequestAsync(1, "sleep:2000");
        await Wait.UntilAsync(() => server.Server.Status().OffloadsActive == 1, Wait.Default, "the call to start");

        var stop = server.Server.StopAsync();
        await server.Log.WaitForAsync("Stopping: no longer accepting; draining");
        await connection.RequestAsync(2, "late");

        // v2 promises no order between the two; the refusal is normally first.
        var frames = new[] { await connection.ReadFrameAsync(), await connection.ReadFrameAsync() }.OrderByDescending(f => f.Id).ToArray();
        var refused = frames[0];
        Assert.Equal((FrameType.Error, 2u, ErrorCode.ShuttingDown), (refused.Type, refused.Id, refused.Error.Code));
        var answered = frames[1];
        Assert.Equal((FrameType.Answer, 1u, "slept:2000"), (answered.Type, answered.Id, answered.Text));
        await FrameTests.ExpectGoAwayAsync(connection, ErrorCode.NoError, 1);
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnIdleTimeoutSendsGoAway(string transport)
    {
        // A second: long enough that a loaded machine still gets the hello and the first request in before it.
        await using var server = TestServer.Start(transport, ("Limits:IdleTimeout", "00:00:01"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        Assert.Equal("eno", await connection.AskAsync(1, "one"));

        await FrameTests.ExpectGoAwayAsync(connection, ErrorCode.NoError, 1, "idle timeout");

        // Counted as the connection closes, which may be a moment after the GOAWAY reaches the client.
        await Wait.UntilAsync(() => server.Server.Status().Timeouts["idle"] == 1, because: "the idle timeout to be counted");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ARequestSentAfterTheGoAwayMeetsAnEndOfStreamNotAReset(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        Assert.Equal("eno", await connection.AskAsync(1, "one"));

        var stop = server.Server.StopAsync();
        var (goAway, _) = await connection.ReadUntilAsync(FrameType.GoAway);
        Assert.Equal(1u, goAway.GoAway.LastId);
        await connection.RequestAsync(2, "late");
        await connection.RequestAsync(3, "later");

        Assert.Equal(0, await connection.ReadToEndAsync());
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
