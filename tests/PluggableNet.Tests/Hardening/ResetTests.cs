using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

public sealed class ResetTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ResetsMidFrameWithAnswersPendingOrBeforeAnyByteLeaveNothingBehind(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:MaxPendingWriteBytes", "4096"));
        using var bystander = server.Connect();
        Assert.Equal("erofeb", await bystander.AskAsync("before"));

        for (var round = 0; round < 5; round++)
        {
            // Mid-frame: a header promising 10 bytes, 3 sent, then RST.
            var midFrame = await SocketHelpers.ConnectAsync(server.EndPoint);
            await midFrame.SendAsync("00010abc"u8.ToArray().AsMemory(), SocketFlags.None);

            // Answers pending: 400 KB of requests, none of the answers read, then RST.
            var pending = await SocketHelpers.ConnectAsync(server.EndPoint);
            pending.ReceiveBufferSize = 16 * 1024;
            var burst = Enumerable.Range(0, 400).SelectMany(i => Frames.Ascii(new string((char)('a' + (i % 26)), 1000))).ToArray();
            var sending = pending.SendAsync(burst.AsMemory(), SocketFlags.None).AsTask();

            // Connected, nothing sent, then RST.
            var silent = await SocketHelpers.ConnectAsync(server.EndPoint);

            await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections >= 4, because: "all three to be accepted");
            await Task.WhenAny(sending, Task.Delay(200));
            SocketHelpers.Reset(midFrame);
            SocketHelpers.Reset(pending);
            SocketHelpers.Reset(silent);
            await Task.WhenAny(sending, Task.Delay(1000));
            _ = sending.ContinueWith(static t => t.Exception, TaskScheduler.Default);
        }

        await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == 1, because: "every reset connection to be released");
        Assert.Equal("retfa", await bystander.AskAsync("after"));
        Assert.DoesNotContain(server.Log.Events, e => e.Level >= Serilog.Events.LogEventLevel.Error);

        bystander.Dispose();
        await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == 0, because: "the last connection to close");
    }
}
