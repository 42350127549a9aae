using System.Text;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>Each frame type a client may send, and what the host does with the ones it may not.</summary>
public sealed class FrameTests
{
    public static TheoryData<string, string> TransportsAndPlugins()
    {
        var data = new TheoryData<string, string>();
        foreach (var transport in OperatingSystem.IsLinux() ? ["Epoll", "Sockets"] : new[] { "Sockets" })
        {
            data.Add(transport, V2Plugins.Inline);
            data.Add(transport, V2Plugins.Offloaded);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TransportsAndPlugins))]
    public async Task PipelinedRequestsAreEachAnsweredWithTheirId(string transport, string plugin)
    {
        await using var server = V2Plugins.Start(transport, plugin);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        var ids = new uint[] { 1, 2, 5, 1000, 70_000 };
        await connection.SendRawAsync(ids.SelectMany(id => V2Connection.Request(id, $"r{id}")).ToArray());

        var answers = new Dictionary<uint, string>();
        foreach (var _ in ids)
        {
            var frame = await connection.ReadFrameAsync();
            Assert.Equal(FrameType.Answer, frame.Type);
            answers.Add(frame.Id, frame.Text);
        }

        Assert.Equal(ids.ToDictionary(id => id, id => new string($"r{id}".Reverse().ToArray())), answers);
    }

    [Theory]
    [MemberData(nameof(TransportsAndPlugins))]
    public async Task AnEmptyRequestIsARequest(string transport, string plugin)
    {
        await using var server = V2Plugins.Start(transport, plugin);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        Assert.Equal(string.Empty, await connection.AskAsync(1, string.Empty));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TheLargestIdIsAcceptedAndNothingCanFollowIt(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        Assert.Equal("xam", await connection.AskAsync(uint.MaxValue, "max"));
        await connection.RequestAsync(1, "wrapped");

        await ExpectGoAwayAsync(connection, ErrorCode.ProtocolError, uint.MaxValue, "request id 1 is not above the previous one (4294967295)");
    }

    [Theory]
    [InlineData("Epoll", 7u, 7u)]
    [InlineData("Sockets", 7u, 7u)]
    [InlineData("Epoll", 7u, 3u)]
    [InlineData("Sockets", 7u, 3u)]
    [InlineData("Epoll", 0u, 0u)]
    [InlineData("Sockets", 0u, 0u)]
    public async Task AnIdNotAboveThePreviousOneIsAProtocolError(string transport, uint first, uint second)
    {
        await using var server = TestServer.Start(transport);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        if (first != 0)
        {
            Assert.Equal("tsrif", await connection.AskAsync(first, "first"));
        }

        await connection.RequestAsync(second, "second");

        await ExpectGoAwayAsync(connection, ErrorCode.ProtocolError, first, $"request id {second} is not above the previous one ({first})");
        await server.Log.WaitForAsync("protocol v2 error");
        Assert.Equal(1, server.Server.Status().ProtocolErrors["v2_violation"]);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task UnknownFrameTypesAreSkippedWhateverTheirSize(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        await connection.SendRawAsync(V2Connection.Encode((FrameType)200, 0, new byte[3 * 1024 * 1024], flags: 0xFF));
        await connection.SendRawAsync(V2Connection.Encode((FrameType)10, 5, "x"u8));
        await connection.SendRawAsync(V2Connection.Encode((FrameType)0, 0, default));

        Assert.Equal("evila", await connection.AskAsync(1, "alive"));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task FlagsAreIgnored(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        await connection.SendRawAsync(V2Connection.Encode(FrameType.Request, 1, "flags"u8, flags: 0xA5));

        var answer = await connection.ReadFrameAsync();
        Assert.Equal((FrameType.Answer, 1u, "sgalf"), (answer.Type, answer.Id, answer.Text));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ARequestAboveMaxFrameBytesIsRefusedAndTheConnectionStaysOpen(string transport)
    {
        await using var server = TestServer.Start(transport, ("Framing:MaxFrameBytes", "1000"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        await connection.SendRawAsync(V2Connection.Encode(FrameType.Request, 1, new byte[5000]));

        var error = await connection.ReadFrameAsync();
        Assert.Equal((FrameType.Error, 1u, ErrorCode.FrameTooLarge), (error.Type, error.Id, error.Error.Code));
        Assert.Equal("owt", await connection.AskAsync(2, "two"));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APingIsAnsweredWithAPongEchoingItsPayload(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        await connection.SendAsync(FrameType.Ping, 0, "8 bytes!"u8);
        var pong = await connection.ReadFrameAsync();
        await connection.SendAsync(FrameType.Ping, 0, default);
        var emptyPong = await connection.ReadFrameAsync();

        Assert.Equal((FrameType.Pong, 0u, "8 bytes!"), (pong.Type, pong.Id, pong.Text));
        Assert.Equal((FrameType.Pong, 0u, 0), (emptyPong.Type, emptyPong.Id, emptyPong.Payload.Length));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnUnsolicitedPongAndACancelOfAnUnknownIdAreHarmless(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        await connection.SendAsync(FrameType.Pong, 0, "whatever"u8);
        await connection.SendAsync(FrameType.Cancel, 42);
        await connection.SendAsync(FrameType.Cancel, 0);

        Assert.Equal("ko", await connection.AskAsync(1, "ok"));
    }

    [Theory]
    [InlineData("Epoll", FrameType.Answer, 1u, 5)]
    [InlineData("Sockets", FrameType.Answer, 1u, 5)]
    [InlineData("Epoll", FrameType.Error, 1u, 2)]
    [InlineData("Epoll", FrameType.GoAway, 0u, 6)]
    [InlineData("Epoll", FrameType.Push, 0u, 1)]
    [InlineData("Sockets", FrameType.Settings, 0u, 0)]
    [InlineData("Epoll", FrameType.Ping, 3u, 8)]
    [InlineData("Sockets", FrameType.Ping, 0u, 65)]
    [InlineData("Epoll", FrameType.Cancel, 1u, 20_000)]
    public async Task FramesAClientMayNotSendAreProtocolErrors(string transport, FrameType type, uint id, int length)
    {
        await using var server = TestServer.Start(transport);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        Assert.Equal("ko", await connection.AskAsync(1, "ok"));

        await connection.SendRawAsync(V2Connection.Encode(type, id, new byte[length]));

        var goAway = await ExpectGoAwayAsync(connection, ErrorCode.ProtocolError, 1);
        Assert.Contains(type.ToString(), goAway.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APingFloodIsCutWithAGoAwayAndCounted(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        var ping = V2Connection.Encode(FrameType.Ping, 0, "12345678"u8);
        var flood = Enumerable.Repeat(ping, ControlFrameBudgetPerSecond + 500).SelectMany(f => f).ToArray();
        var sending = connection.SendRawAsync(flood);

        var (goAway, pongs) = await connection.ReadUntilAsync(FrameType.GoAway);
        await sending;
        Assert.All(pongs, p => Assert.Equal(FrameType.Pong, p.Type));
        Assert.Equal(ErrorCode.ProtocolError, goAway.GoAway.Code);
        Assert.Contains("more than 1000", goAway.GoAway.Text, StringComparison.Ordinal);
        Assert.Equal(1, server.Server.Status().ProtocolErrors["control_flood"]);
    }

    private const int ControlFrameBudgetPerSecond = 1000;

    /// <summary>Reads up to the GOAWAY (answers before it allowed), checks it, then expects a clean end of stream.</summary>
    internal static async Task<GoAwayPayload> ExpectGoAwayAsync(V2Connection connection, ErrorCode code, uint lastId, string? text = null)
    {
        var (frame, _) = await connection.ReadUntilAsync(FrameType.GoAway);
        var goAway = frame.GoAway;
        Assert.Equal(0u, frame.Id);
        Assert.Equal(code, goAway.Code);
        Assert.Equal(lastId, goAway.LastId);
        if (text is not null)
        {
            Assert.Equal(text, goAway.Text);
        }

        Assert.Equal(0, await connection.ReadToEndAsync());
        return goAway;
    }
}
