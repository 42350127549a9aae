using PluggableNet.Tests.Infrastructure;
using Serilog.Events;

namespace PluggableNet.Tests.Hardening;

[Collection(ProcessWideMeasurements.Name)]
public sealed class HugeHeaderTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TenDigitHeaderOfNinesClosesWithoutAllocatingThePayload(string transport)
    {
        await using var server = TestServer.Start(transport, ("Framing:HeaderDigits", "10"));
        using var client = server.Connect(headerDigits: 10);
        Assert.Equal("cba", await client.AskAsync("abc"));
        var peer = client.Socket.LocalEndPoint!.ToString()!;

        var before = GC.GetTotalAllocatedBytes(precise: true);
        await client.SendRawAsync("9999999999");
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        await server.Log.WaitForAsync("invalid frame header (length above Framing:MaxFrameBytes", LogEventLevel.Information);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.True(allocated < 1024 * 1024, $"{allocated} bytes allocated for a hostile header");
        Assert.Contains(server.Log.Messages(), m => m.Contains("invalid frame header", StringComparison.Ordinal) && m.Contains(peer, StringComparison.Ordinal));
        Assert.Equal(1, server.Server.Metrics.ProtocolErrors);
    }
}
