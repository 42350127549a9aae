using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.EndToEnd;

/// <summary>
/// The race a graceful close used to lose: the host closes a connection it has answered (drain, idle timeout, protocol
/// error) just as the peer pipelines its next batch. Closed at once, the host's kernel answers that batch with an RST
/// and the peer's next write fails with "broken pipe" instead of ending at a frame boundary it can resend after. With
/// the lingering close the host reads and drops what still comes, so the peer sees its answers and a clean end.
/// </summary>
/// <remarks>
/// Made deterministic by ordering on the peer's TCP state, never by timing: the next request is sent only once the
/// host's FIN has arrived (CLOSE_WAIT), and the one after it only once the host's kernel has either acknowledged it
/// (nothing unacknowledged) or reset the connection.
/// </remarks>
public sealed class LingeringCloseTests
{
    private const byte TcpCloseWait = 8;
    private const byte TcpClose = 7;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ARequestSentAsTheHostDrainsMeetsAnEndOfStreamNotAReset(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var client = server.Connect();
        Assert.Equal("edcba", await client.AskAsync("abcde"));

        var stop = server.Server.StopAsync();
        await ExpectCleanEndAfterLateRequestsAsync(client);
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ARequestSentAsTheIdleTimeoutClosesMeetsAnEndOfStreamNotAReset(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:IdleTimeout", "00:00:00.300"));
        using var client = server.Connect();
        Assert.Equal("edcba", await client.AskAsync("abcde"));

        await ExpectCleanEndAfterLateRequestsAsync(client);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TheAnswersBeforeAProtocolErrorArriveAndTheEndIsClean(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var client = server.Connect();

        await client.SendRawAsync("00005abcde+0005");
        Assert.Equal("edcba", await client.ReadStringAsync());
        await ExpectCleanEndAfterLateRequestsAsync(client);
    }

    private static async Task ExpectCleanEndAfterLateRequestsAsync(FrameClient client)
    {
        var socket = client.Socket;
        await Wait.UntilAsync(() => TcpState(socket) == TcpCloseWait, Wait.Default, "the host's FIN");

        await client.SendAsync("late1");
        await Wait.UntilAsync(() => TcpState(socket) == TcpClose || Unacknowledged(socket) == 0, Wait.Default, "the host's kernel to take or refuse the request");
        var second = Record.Exception(() => socket.Send(client.Frame("late2"u8)));

        Assert.Null(second);
        Assert.Equal(0, await ReceiveUntilEndAsync(socket));
    }

    /// <summary>Reads to the end of the stream: 0 for a clean end (FIN); a reset throws.</summary>
    private static async Task<int> ReceiveUntilEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var buffer = new byte[4096];
        int received;
        while ((received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
        }

        return received;
    }

    /// <summary><c>tcp_info.tcpi_state</c> (Linux): 8 CLOSE_WAIT once the peer's FIN arrived, 7 CLOSE after a reset.</summary>
    private static byte TcpState(Socket socket) => TcpInfo(socket)[0];

    /// <summary><c>tcp_info.tcpi_unacked</c> (Linux): segments sent and not yet acknowledged.</summary>
    private static uint Unacknowledged(Socket socket) => BitConverter.ToUInt32(TcpInfo(socket), 24);

    private static byte[] TcpInfo(Socket socket)
    {
        var info = new byte[104];
        socket.GetRawSocketOption(6 /* IPPROTO_TCP */, 11 /* TCP_INFO */, info);
        return info;
    }
}
