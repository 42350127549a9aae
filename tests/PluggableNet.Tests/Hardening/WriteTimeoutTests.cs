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
            ("Limits:MaxPendingWriteBytes", "4096"));
        using var stalled = server.Connect();
        stalled.Socket.ReceiveBufferSize = 4096;
        using var healthy = server.Connect();

        // Pipeline far more than the kernel buffers hold, never read; stop after 20 s at the latest.
        var frame = stalled.Frame(new byte[1000]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        var closed = false;
        using var sendTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                await stalled.Socket.SendAsync(frame, System.Net.Sockets.SocketFlags.None, sendTimeout.Token);
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
            closed = true;
        }
        catch (OperationCanceledException)
        {
        }

        Assert.True(closed || await stalled.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the stalled peer was never closed");
        await server.Log.WaitForAsync("closed: WriteTimeout");
        Assert.Equal("ih", await healthy.AskAsync("hi"));
    }
}
