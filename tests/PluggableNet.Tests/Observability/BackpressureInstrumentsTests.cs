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
        (string, object)[] endPoint = [("server.address", "127.0.0.1"), ("server.port", server.EndPoint.Port), ("network.transport", "tcp")];

        // Bursts of 100 frames: a read of the server (16 KiB) soon holds more answers than the limit, so it pauses
        // whatever the kernel's socket buffers could still take. The client's receive buffer is left alone: a small one set after
        // connecting made loopback TCP drop segments and back off, and reading the answers took minutes.
        const int Frames = 5_000;
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

        // Nothing is read until a pause is counted. The counter, not the gauge: a pause can lift between two collections
        // (the sockets transport resumes as soon as the kernel takes the answers), a count only grows.
        await Wait.UntilAsync(() => capture.ObserveOne("pluggablenet.backpressure.pauses", endPoint) >= 1, TimeSpan.FromSeconds(20), "a backpressure pause to be counted");
        Assert.True(server.Server.Status().BackpressurePauses >= 1);
        Assert.InRange(capture.ObserveOne("pluggablenet.backpressure.paused_connections", endPoint), 0, 1);

        for (var i = 0; i < Frames; i++)
        {
            Assert.Equal(PayloadLength, (await client.ReadFrameAsync(TimeSpan.FromSeconds(20))).Length);
        }

        await sender.WaitAsync(TimeSpan.FromSeconds(20));

        // Every pause was lifted once (a lost increment or decrement leaves it off 0 for good).
        await Wait.UntilAsync(() => capture.ObserveOne("pluggablenet.backpressure.paused_connections", endPoint) == 0, because: "the connection to be read again");
        var pauses = capture.ObserveOne("pluggablenet.backpressure.pauses", endPoint);
        Assert.True(pauses >= 1, pauses.ToString(CultureInfo.InvariantCulture));
        Assert.Equal((long)pauses, server.Server.Status().BackpressurePauses);
        Assert.Equal(0, server.Server.Status().PausedConnections);
    }
}
