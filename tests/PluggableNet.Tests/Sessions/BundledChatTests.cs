using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>The bundled Chat plugin, as a user starts it: the real host process with <c>--Logic:Plugin=Chat</c>, a v1 and a v2 client in one room.</summary>
public sealed class BundledChatTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TwoClientsChatAcrossProtocolsOnTheRealHost(string transport)
    {
        await using var host = await RunningHost.StartAsync(transport, ["--Logic:Plugin=Chat"]);
        using var ann = host.Connect();
        using var bo = await V2Connection.OpenAsync(host.EndPoint);

        Assert.Equal("you are ann", await ann.AskAsync("NICK ann"));
        Assert.Equal("joined lobby (1 here)", await ann.AskAsync("JOIN lobby"));
        Assert.Equal("you are bo", await bo.AskAsync(1, "NICK bo"));
        Assert.Equal("joined lobby (2 here)", await bo.AskAsync(2, "JOIN lobby"));
        Assert.Equal("ann bo", await ann.AskAsync("WHO lobby"));

        // SAY answers nothing on v1's stream: the next frame ann reads is her own message, pushed to the room.
        await ann.SendAsync("SAY lobby hello bo");
        Assert.Equal("lobby ann: hello bo", await ann.ReadStringAsync());
        var (push, _) = await bo.ReadUntilAsync(PluggableNet.Protocol.V2.FrameType.Push);
        Assert.Equal("lobby ann: hello bo", System.Text.Encoding.UTF8.GetString(push.Payload));

        Assert.Equal(string.Empty, await bo.AskAsync(3, "SAY lobby hi ann"));
        Assert.Equal("lobby bo: hi ann", await ann.ReadStringAsync());
        Assert.Equal("messages 2, sessions 2", await ann.AskAsync("STATS"));
    }
}
