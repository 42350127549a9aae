using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.EndToEnd;

public sealed class TelnetExampleTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AbcdeIsAnsweredEdcbaLikeTheOriginal(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var client = server.Connect();

        await client.SendRawAsync("00005abcde");

        Assert.Equal("edcba", await client.ReadStringAsync());
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TypedLinesWithTheirLineEndingsKeepTheSessionOpen(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var client = server.Connect();

        await client.SendRawAsync("00005abcde\r\n");
        Assert.Equal("edcba", await client.ReadStringAsync());
        await client.SendRawAsync("00003xyz\n");
        Assert.Equal("zyx", await client.ReadStringAsync());
    }
}
