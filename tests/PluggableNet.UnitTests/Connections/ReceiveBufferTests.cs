using PluggableNet.Server.Connections;

namespace PluggableNet.UnitTests.Connections;

public sealed class ReceiveBufferTests
{
    private const int Initial = 1024;

    [Fact]
    public void HoldsNoArrayUntilAReceiveAsksForSpace()
    {
        var buffer = new ReceiveBuffer(Initial);

        Assert.Equal(0, buffer.Capacity);
        Assert.True(buffer.IsEmpty);

        Assert.True(buffer.GetSpan(0).Length >= Initial);
        Assert.True(buffer.Capacity >= Initial);
    }

    [Fact]
    public void DataIsWhatWasReceivedAndNotConsumed()
    {
        var buffer = new ReceiveBuffer(Initial);
        Receive(buffer, "00005HEL"u8);
        Receive(buffer, "LO00003"u8);

        buffer.Consume(10);

        Assert.Equal("00003"u8.ToArray(), buffer.Data.ToArray());
        Assert.Equal(5, buffer.Length);
    }

    [Fact]
    public void ReleaseIfEmptyKeepsAPartialFrameAndReturnsAnEmptyBuffer()
    {
        var buffer = new ReceiveBuffer(Initial);
        Receive(buffer, "00005HE"u8);

        buffer.ReleaseIfEmpty();
        Assert.NotEqual(0, buffer.Capacity);
        Assert.Equal("00005HE"u8.ToArray(), buffer.Data.ToArray());

        buffer.Consume(7);
        buffer.ReleaseIfEmpty();
        Assert.Equal(0, buffer.Capacity);
        Assert.True(buffer.Data.IsEmpty);
    }

    [Fact]
    public void ClearDropsEverythingBuffered()
    {
        var buffer = new ReceiveBuffer(Initial);
        Receive(buffer, "00005HELLO00005WOR"u8);

        buffer.Clear();

        Assert.True(buffer.IsEmpty);
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void APartialFrameSurvivesCompactionAndGrowthByteForByte()
    {
        var buffer = new ReceiveBuffer(Initial);
        var frame = Enumerable.Range(0, 5 * Initial).Select(i => (byte)(i * 7)).ToArray();

        // A consumed prefix first, so the partial frame has to move to the front as it grows.
        Receive(buffer, new byte[Initial - 10]);
        buffer.Consume(Initial - 10);
        var offset = 0;
        while (offset < frame.Length)
        {
            var span = buffer.GetSpan(frame.Length);
            var count = Math.Min(span.Length, Math.Min(300, frame.Length - offset));
            frame.AsSpan(offset, count).CopyTo(span);
            buffer.Advance(count);
            offset += count;
        }

        Assert.Equal(frame, buffer.Data.ToArray());
    }

    [Fact]
    public void SpaceIsAlwaysOfferedSoAReceiveCanMakeProgress()
    {
        var buffer = new ReceiveBuffer(Initial);
        for (var i = 0; i < 10 * Initial; i++)
        {
            var span = buffer.GetSpan(0);
            Assert.False(span.IsEmpty);
            span[0] = (byte)i;
            buffer.Advance(1);
        }

        Assert.Equal(10 * Initial, buffer.Length);
    }

    [Fact]
    public void AnAnnouncedFrameCostsOnlyWhatHasArrived()
    {
        var buffer = new ReceiveBuffer(Initial);

        // A header announcing a megabyte gets the ordinary first buffer, not a megabyte.
        buffer.GetSpan(frameLength: 1024 * 1024);
        Assert.True(buffer.Capacity < 2 * Initial, $"capacity {buffer.Capacity} for nothing received");

        // Then the buffer grows as bytes arrive: never more than about twice what was received.
        var received = 0;
        while (received < 20 * Initial)
        {
            var span = buffer.GetSpan(frameLength: 1024 * 1024);
            var count = Math.Min(span.Length, 20 * Initial - received);
            buffer.Advance(count);
            received += count;
            Assert.True(buffer.Capacity <= 2 * Math.Max(received, Initial) + Initial, $"capacity {buffer.Capacity} after {received} bytes");
        }
    }

    [Fact]
    public void GrowthStopsAtTheFrameBeingReceived()
    {
        var buffer = new ReceiveBuffer(Initial);
        var frame = 3 * Initial;
        var received = 0;
        while (received < frame)
        {
            var span = buffer.GetSpan(frame);
            var count = Math.Min(span.Length, frame - received);
            buffer.Advance(count);
            received += count;
        }

        // Pooled arrays come in powers of two: the frame's size rounded up, not the next doubling beyond it.
        Assert.True(buffer.Capacity <= 4 * Initial, $"capacity {buffer.Capacity} for a {frame}-byte frame");
    }

    [Fact]
    public void ReleaseReturnsTheArrayWhateverItHolds()
    {
        var buffer = new ReceiveBuffer(Initial);
        Receive(buffer, "00005HE"u8);

        buffer.Release();

        Assert.Equal(0, buffer.Capacity);
        Assert.True(buffer.IsEmpty);
    }

    private static void Receive(ReceiveBuffer buffer, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var span = buffer.GetSpan(0);
            var count = Math.Min(span.Length, bytes.Length);
            bytes[..count].CopyTo(span);
            buffer.Advance(count);
            bytes = bytes[count..];
        }
    }
}
