using System.Globalization;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Observability;

/// <summary>A client that stops reading is counted as a backpressure pause, and as paused until it reads again.</summary>
public sealed class BackpressureInstrumentsTests
{
    private const int PayloadLength = 1000;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AConnectionThatStopsReadingIsCountedPausedThenResumed(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:MaxPendingWriteBytes", "4096"));
        using var capture = new MeterCapture(server.Server.Meter.Meter);
        using var client = server.Connect();
        client.Socket.ReceiveBufferSize = 16 * 1024;

        // Enough answers to fill every socket buffer on the way back, sent while nothing is read.
        // (The kernel buffers a few MiB on loopback before the server's own output starts to grow.)
        const int Frames = 20_000;
        var frame = client.Frame(new byte[PayloadLength]);
        var burst = new byte[frame.Length * 100];
        for (var i = 0; i < 100; i++)
        {
            frame.CopyTo(burst, i * frame.Length);
        }

        var sender = Task.Run(async () =>
        {
            for (var i = 0; i < Frames / 100; i++)
            {
                await client.SendRawAsync(burst);
            }
        });

        await Wait.UntilAsync(() => capture.ObserveOne("pluggablenet.backpressure.paused_connections") == 1, TimeSpan.FromSeconds(20), "the connection to be paused");
        Assert.True(capture.ObserveOne("pluggablenet.backpressure.pauses") >= 1);
        // (The pause may lift and return between two reads as the kernel takes a little more; the count only grows.)
        Assert.True(server.Server.Status().BackpressurePauses >= 1);

        for (var i = 0; i < Frames; i++)
        {
            Assert.Equal(PayloadLength, (await client.ReadFrameAsync(TimeSpan.FromSeconds(20))).Length);
        }

        await sender;
        await Wait.UntilAsync(() => capture.ObserveOne("pluggablenet.backpressure.paused_connections") == 0, because: "the connection to be read again");
        var pauses = capture.ObserveOne("pluggablenet.backpressure.pauses");
        Assert.True(pauses >= 1, pauses.ToString(CultureInfo.InvariantCulture));
        Assert.Equal((long)pauses, server.Server.Status().BackpressurePauses);
    }
}
