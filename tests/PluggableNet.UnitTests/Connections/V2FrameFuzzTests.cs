using PluggableNet.Protocol;
using PluggableNet.Protocol.V2;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Framing;
using PluggableNet.UnitTests.Infrastructure;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// Random v2 frames (types, flags, announced lengths, ids) in random splits: the state machine never throws, every
/// byte it sends is a well-formed frame, and the memory it holds follows the bytes received, never a length announced.
/// </summary>
public sealed class V2FrameFuzzTests
{
    private static readonly FrameCodec s_codec = new(FramingKind.AsciiDecimal, 5, 99_999);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void RandomFramesNeverThrowAndHoldMemoryByBytesReceived(int seed)
    {
        var random = new Random(seed);
        var harness = new MachineHarness(s_codec);
        harness.Receive(Preface.Bytes);
        var received = (long)Preface.Bytes.Length;
        uint id = 0;

        for (var frame = 0; frame < 400 && harness.Machine.CloseReason == CloseReason.None; frame++)
        {
            var bytes = RandomFrame(random, ref id);
            foreach (var piece in Split(random, bytes))
            {
                harness.Receive(piece);
                received += piece.Length;

                // One receive buffer plus what arrived, whatever the headers announced (up to 4 GiB here).
                Assert.True(harness.Machine.ReceiveCapacity <= 64 * 1024 + (2 * received), $"{harness.Machine.ReceiveCapacity} bytes held after {received} received (seed {seed}, frame {frame})");
                if (harness.Machine.CloseReason != CloseReason.None)
                {
                    break;
                }
            }
        }

        AssertWellFormed(harness.Sent);
        Assert.True(harness.Machine.CloseReason is CloseReason.None or CloseReason.ProtocolError, harness.Machine.CloseReason.ToString());
    }

    [Fact]
    public void AnAnnouncedFourGigabyteUnknownFrameIsDroppedAsItArrives()
    {
        var harness = new MachineHarness(s_codec);
        harness.Receive(Preface.Bytes);
        var header = new byte[FrameHeader.Size];
        new FrameHeader(uint.MaxValue, (FrameType)99, 0, 0).Write(header);
        harness.Receive(header);

        var chunk = new byte[64 * 1024];
        for (var i = 0; i < 64; i++)
        {
            harness.Receive(chunk);
            Assert.True(harness.Machine.ReceiveCapacity <= 64 * 1024, $"{harness.Machine.ReceiveCapacity} bytes held");
        }

        Assert.Equal(CloseReason.None, harness.Machine.CloseReason);
    }

    private static byte[] RandomFrame(Random random, ref uint id)
    {
        var type = (FrameType)random.Next(0, 12);
        var flags = (byte)random.Next(0, 256);
        var frameId = type switch
        {
            FrameType.Request when random.Next(20) == 0 => id,
            FrameType.Request => id += (uint)random.Next(1, 1000),
            _ => random.Next(4) == 0 ? (uint)random.Next() : 0,
        };
        var length = random.Next(10) switch
        {
            0 => random.Next(100_000, 1_000_000),
            1 => (int)(uint.MaxValue >> 1),
            _ => random.Next(0, 200),
        };

        // An announced length above what is sent stays a header only: the rest never comes, as from a hostile peer.
        var sent = Math.Min(length, 300_000);
        var bytes = new byte[FrameHeader.Size + sent];
        new FrameHeader((uint)length, type, flags, frameId).Write(bytes);
        random.NextBytes(bytes.AsSpan(FrameHeader.Size));
        return bytes;
    }

    private static IEnumerable<byte[]> Split(Random random, byte[] bytes)
    {
        for (var offset = 0; offset < bytes.Length;)
        {
            var count = Math.Min(bytes.Length - offset, random.Next(1, 40_000));
            yield return bytes[offset..(offset + count)];
            offset += count;
        }
    }

    private static void AssertWellFormed(byte[] sent)
    {
        Assert.True(sent.AsSpan().StartsWith(Preface.Bytes), "the host's preface first");
        var rest = sent.AsSpan(Preface.Bytes.Length);
        while (!rest.IsEmpty)
        {
            Assert.True(FrameHeader.TryRead(rest, out var header), "a whole header");
            Assert.InRange(header.Type, FrameType.Answer, FrameType.Settings);
            Assert.True(rest.Length >= FrameHeader.Size + header.Length, "a whole payload");
            rest = rest[(FrameHeader.Size + (int)header.Length)..];
        }
    }
}
