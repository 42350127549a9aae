using System.Text;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ConnectionMove;

/// <summary>The bytes of a frame received before the move go with the connection: the frame completes, and is answered, after it.</summary>
public sealed class PartialFrameMovesTests
{
    [Theory]
    [MemberData(nameof(MoveTheory.TransportPairsAndProtocols), MemberType = typeof(MoveTheory))]
    public async Task AFrameHalfReceivedBeforeTheMoveIsAnsweredAfterIt(string from, string to, string protocol)
    {
        await using var oldServer = TestServer.Start(from, ("Logic:Plugin", "Upper"));
        await using var newServer = TestServer.Start(to, ("Logic:Plugin", "Reverse"));
        var metrics = oldServer.Server.Metrics;
        byte[] frame;
        Func<Task<string>> readAnswer;
        Func<byte[], Task> send;
        IDisposable client;
        if (protocol == "v2")
        {
            var v2 = await V2Connection.OpenAsync(oldServer.EndPoint);
            client = v2;
            Assert.Equal("FIRST", await v2.AskAsync(1, "first"));
            frame = V2Connection.Request(2, "halfway there");
            readAnswer = async () => (await v2.ReadFrameAsync()).Text;
            send = v2.SendRawAsync;
        }
        else
        {
            var v1 = oldServer.Connect();
            client = v1;
            Assert.Equal("FIRST", await v1.AskAsync("first"));
            frame = v1.Frame(Encoding.UTF8.GetBytes("halfway there"));
            readAnswer = () => v1.ReadStringAsync();
            send = bytes => v1.SendRawAsync(bytes);
        }

        using (client)
        {
            var before = metrics.BytesReceived;
            var half = frame.Length / 2;
            await send(frame[..half]);
            await Wait.UntilAsync(() => metrics.BytesReceived == before + half, because: "the old server received half the frame");

            var moved = await ConnectionMover.MoveAllAsync(oldServer.Server, newServer.Server, TimeSpan.FromSeconds(5));

            Assert.Equal(1, moved.Moved);
            Assert.Equal([half], moved.BufferedBytes);
            await send(frame[half..]);
            Assert.Equal("ereht yawflah", await readAnswer());
        }
    }
}
