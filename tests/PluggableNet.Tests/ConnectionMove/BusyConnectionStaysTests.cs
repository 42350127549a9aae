using System.Net.Sockets;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.ProtocolV2;

namespace PluggableNet.Tests.ConnectionMove;

/// <summary>
/// A connection still busy at the detach deadline (a call in flight) stays on the old server, which answers it and
/// closes the connection cleanly when it stops: GOAWAY then FIN on v2, the lingering close's FIN on v1. Its idle
/// neighbour moves meanwhile.
/// </summary>
public sealed class BusyConnectionStaysTests
{
    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task ABusyConnectionFinishesOnTheOldServerAndClosesCleanly(string transport, string protocol)
    {
        await using var oldServer = V2Plugins.Start(transport, V2Plugins.Offloaded);
        await using var newServer = TestServer.Start(transport, ("Logic:Plugin", "Reverse"));
        using var idle = oldServer.Connect();
        Assert.Equal("olleh", await idle.AskAsync("hello"));
        V2Connection? v2 = null;
        FrameClient? v1 = null;
        try
        {
            var metrics = oldServer.Server.Metrics;
            long expected;
            if (protocol == "v2")
            {
                v2 = await V2Connection.OpenAsync(oldServer.EndPoint);
                var request = V2Connection.Request(1, "sleep:4000");
                expected = metrics.BytesReceived + request.Length;
                await v2.SendRawAsync(request);
            }
            else
            {
                v1 = oldServer.Connect();
                var request = v1.Frame("sleep:4000"u8);
                expected = metrics.BytesReceived + request.Length;
                await v1.SendRawAsync(request);
            }

            // Received means started: the call begins in the same turn as the bytes arrive.
            await Wait.UntilAsync(() => metrics.BytesReceived >= expected, because: "the old server took the slow request");
            var moved = await ConnectionMover.MoveAllAsync(oldServer.Server, newServer.Server, TimeSpan.FromMilliseconds(1500));

            Assert.Equal(1, moved.Moved);
            Assert.Equal(1, moved.LeftBehind);
            Assert.Equal("dlrow", await idle.AskAsync("world"));
            var stopping = oldServer.Server.StopAsync();
            if (v2 is not null)
            {
                Assert.Equal("slept:4000", await ReadAnswerAsync(v2));
                var (goAway, before) = await v2.ReadUntilAsync(FrameType.GoAway);
                Assert.Empty(before);
                Assert.Equal(1u, goAway.GoAway.LastId);
                Assert.Equal(0, await v2.ReadToEndAsync());
            }
            else
            {
                Assert.Equal("slept:4000", await v1!.ReadStringAsync());

                // A FIN: a reset would throw here.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                Assert.Equal(0, await v1.Socket.ReceiveAsync(new byte[1], SocketFlags.None, timeout.Token));
            }

            await stopping;
            Assert.Equal(1, newServer.Server.Metrics.OpenConnections);
        }
        finally
        {
            v1?.Dispose();
            v2?.Dispose();
        }
    }

    private static async Task<string> ReadAnswerAsync(V2Connection connection)
    {
        var (answer, _) = await connection.ReadUntilAsync(FrameType.Answer);
        Assert.Equal(1u, answer.Id);
        return answer.Text;
    }
}
