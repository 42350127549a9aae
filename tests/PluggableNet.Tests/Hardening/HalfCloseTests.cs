using System.Net.Sockets;
using System.Text;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

public sealed class HalfCloseTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task HalfCloseStillDeliversEveryAnswerThenEof(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var client = server.Connect();
        var requests = Enumerable.Range(0, 200).Select(i => $"request-{i}").ToList();

        await client.SendRawAsync(Frames.AsciiMany(requests));
        client.Socket.Shutdown(SocketShutdown.Send);

        var (bytes, cleanEof) = await SocketHelpers.ReadToEndAsync(client.Socket, TimeSpan.FromSeconds(10));
        var expected = string.Concat(requests.Select(r => Encoding.ASCII.GetString(Frames.Ascii(SocketHelpers.Reverse(r)))));
        Assert.Equal(expected, Encoding.ASCII.GetString(bytes));
        Assert.True(cleanEof, "the server reset instead of closing after the last answer");
        await server.Log.WaitForAsync("closed: RemoteClosed");
    }
}
