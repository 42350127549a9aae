using System.Numerics;
using PluggableNet.Protocol;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Framing;
using PluggableNet.UnitTests.Infrastructure;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// A frame larger than the receive buffer reaches the plugin with each of its bytes copied at most once, while the
/// memory held still follows the bytes received, whatever sizes the receives come in.
/// </summary>
public sealed class LargeFrameReceiveTests
{
    // The host's default receive buffer, so the figures are docs/performance.md's.
    private const int Initial = 16 * 1024;
    private const int MiB = 1024 * 1024;

    private static readonly FrameCodec s_binary = new(FramingKind.UInt32BigEndian, 5, MiB);

    public static TheoryData<int, int> FramesAndReceives
    {
        get
        {
            // Frame lengths, header included: docs/performance.md's examples, then either side of each point where the frame's
            // own array becomes allowed (frame ≤ 2 × received + one receive buffer) and a few in between.
            int[] frames =
            [
                (64 * 1024) + 5, MiB + 4, (3 * Initial) - 1, 3 * Initial, (3 * Initial) + 1, (5 * Initial) + 1,
                (6 * Initial) - 1, 6 * Initial, (768 * 1024) + 4, (512 * 1024) + (17 * 1024), Initial + 1,
            ];
            var data = new TheoryData<int, int>();
            foreach (var frame in frames)
            {
                // Seed 0: every receive takes all the space offered; the others are uneven sizes from 1 byte up.
                foreach (var seed in new[] { 0, 1, 2 })
                {
                    data.Add(frame, seed);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(FramesAndReceives))]
    public void EachByteOfALargeFrameIsCopiedAtMostOnce(int frameLength, int seed)
    {
        var buffer = new ReceiveBuffer(Initial);
        var frame = Frames.Binary(Payload(frameLength - Frames.BinaryHeaderLength, seed));

        var delivered = Deliver(buffer, frame, seed);

        Assert.Equal(frame, Assert.Single(delivered));
        Assert.True(buffer.BytesMoved < frameLength, $"{buffer.BytesMoved} bytes moved for a {frameLength}-byte frame");

        // Only what arrived before the frame's own array was allowed moves: about half of it, at most half plus a buffer.
        Assert.True(buffer.BytesMoved <= (frameLength + Initial) / 2, $"{buffer.BytesMoved} bytes moved for a {frameLength}-byte frame");
        Assert.Equal(0, buffer.Capacity);
    }

    [Theory]
    [InlineData((64 * 1024) + 5, 32 * 1024)]
    [InlineData(MiB + 4, (504 * 1024) + 2)]
    [InlineData(3 * Initial, Initial)]
    [InlineData((3 * Initial) + 1, 2 * Initial)]
    public void TheBytesMovedAreTheOnesThatArrivedBeforeTheFramesArray(int frameLength, int moved)
    {
        var buffer = new ReceiveBuffer(Initial);
        var frame = Frames.Binary(Payload(frameLength - Frames.BinaryHeaderLength, 7));

        Deliver(buffer, frame, seed: 3);

        // Today's figures, each byte of them moved once; doubling the buffer used to move 112 KiB and ~1 MiB of the
        // first two, some bytes six times.
        Assert.Equal(moved, buffer.BytesMoved);
    }

    [Fact]
    public void MemoryFollowsTheBytesReceivedThroughoutAMegabyteFrame()
    {
        var buffer = new ReceiveBuffer(Initial);
        var frameLength = MiB + 4;
        var received = 0;
        var random = new Random(5);
        while (received < frameLength)
        {
            var span = buffer.GetSpan(received >= 4 ? frameLength : 0);
            var count = Math.Min(span.Length, Math.Min(random.Next(1, 3 * Initial), frameLength - received));
            buffer.Advance(count);
            received += count;

            // The next array is rented before its bytes arrive, so the bound is on what had arrived before it.
            var before = received - count;
            var fragmented = buffer.Data.Length < buffer.Length;
            if (fragmented)
            {
                // Segments: twice what arrived plus one receive buffer, exactly, pool rounding included.
                Assert.True(buffer.Capacity <= (2 * Math.Max(before, Initial)) + Initial, $"capacity {buffer.Capacity} after {before} bytes");
            }

            // The frame's own array: the same bound before the pool rounds it up to a power of two.
            Assert.True(buffer.Capacity <= BitOperations.RoundUpToPowerOf2((uint)((2 * Math.Max(before, Initial)) + Initial)), $"capacity {buffer.Capacity} after {before} bytes");
        }

        Assert.Equal(frameLength, buffer.Length);
        Assert.Equal(frameLength, buffer.Data.Length);
    }

    [Fact]
    public void PipelinedFramesAroundLargeOnesComeOutWholeAndInOrder()
    {
        var buffer = new ReceiveBuffer(Initial);
        var frames = new List<byte[]>();
        var large = 0L;
        for (var i = 0; i < 30; i++)
        {
            var length = (i % 10) switch
            {
                3 => MiB,
                6 => 64 * 1024,
                7 => (3 * Initial) + 1,
                _ => 1 + (i * 37),
            };
            frames.Add(Frames.Binary(Payload(length, i)));
            large += length > Initial ? (length + Frames.BinaryHeaderLength + Initial) / 2 : 0;
        }

        var wire = frames.SelectMany(f => f).ToArray();
        foreach (var seed in new[] { 0, 11, 12 })
        {
            var delivered = Deliver(buffer, wire, seed);

            Assert.Equal(frames.Count, delivered.Count);
            for (var i = 0; i < frames.Count; i++)
            {
                Assert.Equal(frames[i], delivered[i]);
            }
        }

        // Small frames cut by the end of the array move to its front once; large ones move at most half of their bytes.
        var small = frames.Where(f => f.Length <= Initial).Sum(f => (long)f.Length);
        Assert.True(buffer.BytesMoved <= 3 * (small + large), $"{buffer.BytesMoved} bytes moved for {3 * wire.Length} received");
    }

    [Fact]
    public void AFrameArrivingInSegmentsIsReleasedAndClearedWhole()
    {
        var buffer = new ReceiveBuffer(Initial);
        var frame = Frames.Binary(Payload(MiB, 9));
        Feed(buffer, frame.AsSpan(0, 200 * 1024), frame.Length);
        Assert.True(buffer.Data.Length < buffer.Length, "the frame should be arriving in segments");
        Assert.Equal(frame.AsSpan(0, buffer.Data.Length).ToArray(), buffer.Data.ToArray());
        Assert.Equal(200 * 1024, buffer.Length);

        // A partial frame is kept; Release and Clear drop all of it, segments included.
        buffer.ReleaseIfEmpty();
        Assert.Equal(200 * 1024, buffer.Length);
        buffer.Release();
        Assert.Equal(0, buffer.Capacity);
        Assert.Equal(0, buffer.Length);
        Assert.True(buffer.IsEmpty);

        Feed(buffer, frame.AsSpan(0, 300 * 1024), frame.Length);
        buffer.Clear();
        Assert.Equal(0, buffer.Length);
        Assert.True(buffer.IsEmpty);
        buffer.ReleaseIfEmpty();
        Assert.Equal(0, buffer.Capacity);

        // And the buffer serves the next large frame from scratch.
        Assert.Equal(frame, Assert.Single(Deliver(buffer, frame, seed: 4)));
    }

    [Fact]
    public void TheStateMachineAnswersPipelinedLargeAndSmallFramesInOrder()
    {
        var harness = new MachineHarness(s_binary);
        var wire = Frames.Binary(Payload(5, 1))
            .Concat(Frames.Binary(Payload(MiB, 2)))
            .Concat(Frames.Binary(Payload(3, 3)))
            .Concat(Frames.Binary(Payload(64 * 1024, 4)))
            .Concat(Frames.Binary(Payload(64 * 1024, 5)))
            .Concat(Frames.Binary(Payload(MiB, 6)))
            .Concat(Frames.Binary(Payload(1, 7)))
            .ToArray();

        // Uneven deliveries, each offered whole to the machine (the harness splits it by the space it is given).
        var random = new Random(8);
        for (var offset = 0; offset < wire.Length;)
        {
            var count = Math.Min(random.Next(1, 100_000), wire.Length - offset);
            harness.Receive(wire.AsSpan(offset, count));
            offset += count;
        }

        Assert.Equal(wire, harness.Sent);
        Assert.Equal(7, harness.Machine.Requests);
        Assert.Equal(CloseReason.None, harness.Machine.CloseReason);
    }

    /// <summary>
    /// Receives <paramref name="wire"/> as a connection does: each receive at most the space offered, the frame's
    /// length passed once its header is read, complete frames taken from <see cref="ReceiveBuffer.Data"/> and consumed.
    /// </summary>
    private static List<byte[]> Deliver(ReceiveBuffer buffer, byte[] wire, int seed)
    {
        var random = seed == 0 ? null : new Random(seed);
        var delivered = new List<byte[]>();
        var expected = 0;
        for (var offset = 0; offset < wire.Length;)
        {
            var span = buffer.GetSpan(expected);
            Assert.False(span.IsEmpty);
            var want = random is null ? span.Length : random.Next(2) == 0 ? random.Next(1, 64) : random.Next(1, 3 * Initial);
            var count = Math.Min(Math.Min(span.Length, want), wire.Length - offset);
            wire.AsSpan(offset, count).CopyTo(span);
            buffer.Advance(count);
            offset += count;

            while (s_binary.TryReadHeader(buffer.Data, out var payloadLength) == HeaderStatus.Valid)
            {
                var frameLength = s_binary.HeaderLength + payloadLength;
                if (buffer.Length < frameLength)
                {
                    expected = frameLength;
                    break;
                }

                delivered.Add(buffer.Data[..frameLength].ToArray());
                buffer.Consume(frameLength);
                expected = 0;
            }

            buffer.ReleaseIfEmpty();
        }

        return delivered;
    }

    private static void Feed(ReceiveBuffer buffer, ReadOnlySpan<byte> bytes, int frameLength)
    {
        while (!bytes.IsEmpty)
        {
            var span = buffer.GetSpan(buffer.Length >= Frames.BinaryHeaderLength ? frameLength : 0);
            var count = Math.Min(span.Length, bytes.Length);
            bytes[..count].CopyTo(span);
            buffer.Advance(count);
            bytes = bytes[count..];
        }
    }

    private static byte[] Payload(int length, int seed)
    {
        var payload = new byte[length];
        new Random(seed).NextBytes(payload);
        return payload;
    }
}
