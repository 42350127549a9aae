using System.Diagnostics;
using System.Net.Sockets;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>The per-connection limits v1 has, on v2: large frames, slowloris, a peer that does not read.</summary>
public sealed class V2LimitsTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ALargeRequestArrivingInPiecesIsAnsweredWhole(string transport)
    {
        await using var server = TestServer.Start(transport, ("Framing:Kind", "UInt32BigEndian"), ("Framing:MaxFrameBytes", "1048576"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        var payload = new byte[1_000_000];
        Random.Shared.NextBytes(payload);
        var frame = V2Connection.Encode(FrameType.Request, 1, payload);

        for (var offset = 0; offset < frame.Length; offset += 100_000)
        {
            await connection.SendRawAsync(frame[offset..Math.Min(frame.Length, offset + 100_000)]);
        }

        var answer = await connection.ReadFrameAsync();
        Assert.Equal((FrameType.Answer, 1u), (answer.Type, answer.Id));
        Assert.Equal(payload.Reverse(), answer.Payload);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task HalfAFrameHeaderThenSilenceIsClosedAfterTheReadTimeout(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:ReadTimeout", "0.3"), ("Limits:IdleTimeout", "0"), ("Limits:PingInterval", "0"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        var watch = Stopwatch.StartNew();

        await connection.SendRawAsync([0, 0, 0]);

        var ended = await Record.ExceptionAsync(() => connection.ReadFrameAsync(TimeSpan.FromSeconds(5)));

        Assert.True(ended is EndOfStreamException or SocketException, $"expected the host to close the connection, got {ended}");
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(250), $"closed after {watch.Elapsed}, before the timeout");
        await server.Log.WaitForAsync("closed: ReadTimeout after");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APeerThatDoesNotReadIsPausedThenGetsEveryAnswer(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:MaxPendingWriteBytes", "4096"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        connection.Socket.ReceiveBufferSize = 64 * 1024;
        connection.Socket.SendBufferSize = 64 * 1024;
        var payload = new string('p', 1000);

        // Far more answers than the kernel buffers on the path hold: the host must stop reading, not buffer them.
        const int Requests = 40_000;
        var sender = Task.Run(async () =>
        {
            for (uint id = 1; id <= Requests; id += 100)
            {
                await connection.SendRawAsync([.. Enumerable.Range(0, 100).SelectMany(i => V2Connection.Request(id + (uint)i, payload))]);
            }
        });

        await server.Log.WaitForAsync("paused reading", timeout: TimeSpan.FromSeconds(15));
        Assert.False(sender.IsCompleted, "every request was sent although nothing was read");
        for (uint id = 1; id <= Requests; id++)
        {
            var answer = await connection.ReadFrameAsync();
            Assert.Equal((FrameType.Answer, id, 1000), (answer.Type, answer.Id, answer.Payload.Length));
        }

        await sender;
    }
}
