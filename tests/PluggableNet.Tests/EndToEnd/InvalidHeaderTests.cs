using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.EndToEnd;

public sealed class InvalidHeaderTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task InvalidHeaderClosesOnlyThatConnection(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var bystander = server.Connect();
        using var offender = server.Connect();
        Assert.Equal("cba", await bystander.AskAsync("abc"));

        await offender.SendRawAsync("+0005hello");

        Assert.True(await offender.WaitForCloseAsync());
        await server.Log.WaitForAsync("invalid frame header (not all digits");
        Assert.Contains(server.Log.Messages(), m => m.Contains("127.0.0.1", StringComparison.Ordinal) && m.Contains("invalid frame header", StringComparison.Ordinal));
        Assert.Equal("fed", await bystander.AskAsync("def"));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ZeroAndOversizedLengthsCloseTheConnection(string transport)
    {
        await using var server = TestServer.Start(transport, ("Framing:MaxFrameBytes", "1000"));
        using var zero = server.Connect();
        using var oversized = server.Connect();

        await zero.SendRawAsync("00000");
        await oversized.SendRawAsync("01001");

        Assert.True(await zero.WaitForCloseAsync());
        Assert.True(await oversized.WaitForCloseAsync());
        await server.Log.WaitForAsync("length 0");
        await server.Log.WaitForAsync("length above Framing:MaxFrameBytes (1000)");
    }
}
