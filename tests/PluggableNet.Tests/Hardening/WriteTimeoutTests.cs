using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

public sealed class WriteTimeoutTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APeerThatStopsReadingItsAnswersIsClosedAfterTheWriteTimeout(string transport)
    {
        await using var server = TestServer.Start(
            transport,
            ("Limits:WriteTimeout", "0.5"),
            ("Limits:ReadTimeout", "2"),
            ("Limits:MaxPendingWriteBytes", "4096"));
        using var stalled = server.Connect();
        using var healthy = server.Connect();

        // Pipeline far more than the kernel buffers hold and never read; at most 20 s.
        var frame = stalled.Frame(new byte[1000]);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var sender = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await stalled.Socket.SendAsync(frame, SocketFlags.None, stop.Token);
                }
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException)
            {
                // Closed by the server, or stopped by the test.
            }
        });

        // Judged on the server side: the peer itself may not see the close for a long time, since the server's FIN
        // queues behind answers the peer will not read. Usually the server still holds unsent answers and the write
        // timeout fires; when the kernel has taken every answer and the peer's next frame is stuck half-sent, the
        // server sits mid-frame with nothing to send and the read timeout closes it instead.
        await Wait.UntilAsync(
            () => server.Log.Contains("closed: WriteTimeout") || server.Log.Contains("closed: ReadTimeout"),
            TimeSpan.FromSeconds(20),
            "the stalled connection to be closed by a timeout");
        await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == 1, because: "only the healthy connection to remain");
        await stop.CancelAsync();
        await sender;

        Assert.Equal("ih", await healthy.AskAsync("hi"));
    }
}
