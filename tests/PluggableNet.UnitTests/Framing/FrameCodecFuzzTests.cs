using System.Text;
using PluggableNet.Protocol;
using PluggableNet.Server.Framing;

namespace PluggableNet.UnitTests.Framing;

/// <summary>
/// Random frame streams, random splits, random garbage, against a reference decoder written plainly here.
/// Seeds are fixed so a failure reproduces; iterations are bounded.
/// </summary>
public sealed class FrameCodecFuzzTests
{
    private const int Iterations = 400;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ValidStreamsSplitAnywhereDecodeEveryFrameInOrder(int seed)
    {
        var random = new Random(seed);
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var codec = RandomCodec(random);
            var payloads = new List<byte[]>();
            using var stream = new MemoryStream();
            var frames = random.Next(1, 20);
            for (var i = 0; i < frames; i++)
            {
                var payload = new byte[random.Next(1, Math.Min(codec.MaxFrameBytes, 3000) + 1)];
                random.NextBytes(payload);
                payloads.Add(payload);
                var header = new byte[codec.HeaderLength];
                codec.WriteHeader(header, payload.Length);
                stream.Write(header);
                stream.Write(payload);
            }

            var decoded = Decode(codec, stream.ToArray(), random, out var status);

            Assert.Equal(HeaderStatus.Incomplete, status);
            Assert.Equal(payloads.Count, decoded.Count);
            for (var i = 0; i < payloads.Count; i++)
            {
                Assert.True(payloads[i].AsSpan().SequenceEqual(decoded[i]), $"seed {seed}, iteration {iteration}, frame {i} of {codec}");
            }
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void GarbageNeverThrowsAndNeverYieldsAFrameTheReferenceRejects(int seed)
    {
        var random = new Random(seed);
        for (var iteration = 0; iteration < Iterations * 2; iteration++)
        {
            var codec = RandomCodec(random);
            var bytes = Garbage(random, codec);

            var decoded = Decode(codec, bytes, random, out var status);
            var expected = Reference(codec, bytes, out var expectedStatus);

            Assert.Equal(expectedStatus, status);
            Assert.Equal(expected.Count, decoded.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.True(expected[i].AsSpan().SequenceEqual(decoded[i]), $"seed {seed}, iteration {iteration}, frame {i} of {codec}");
            }
        }
    }

    [Fact]
    public void HeaderOfTenNinesIsTooLargeWithoutOverflow()
    {
        var codec = new FrameCodec(FramingKind.AsciiDecimal, 10, 1024 * 1024);

        Assert.Equal(HeaderStatus.TooLarge, codec.TryReadHeader("9999999999"u8, out var length));
        Assert.Equal(0, length);
    }

    private static FrameCodec RandomCodec(Random random)
    {
        if (random.Next(4) == 0)
        {
            return new FrameCodec(FramingKind.UInt32BigEndian, 4, random.Next(1, 5000));
        }

        var digits = random.Next(1, 11);
        var widest = digits >= 10 ? int.MaxValue : (int)Math.Pow(10, digits) - 1;
        return new FrameCodec(FramingKind.AsciiDecimal, digits, Math.Min(widest, random.Next(1, 5000)));
    }

    /// <summary>Mostly random bytes, often shaped like headers (digits, small lengths) so some frames are valid.</summary>
    private static byte[] Garbage(Random random, FrameCodec codec)
    {
        using var stream = new MemoryStream();
        var pieces = random.Next(1, 8);
        for (var i = 0; i < pieces; i++)
        {
            switch (random.Next(4))
            {
                case 0:
                    var noise = new byte[random.Next(0, 40)];
                    random.NextBytes(noise);
                    stream.Write(noise);
                    break;
                case 1 when codec.Kind == FramingKind.AsciiDecimal:
                    for (var d = 0; d < codec.HeaderLength; d++)
                    {
                        stream.WriteByte((byte)(random.Next(12) switch { 10 => ' ', 11 => '-', var digit => '0' + digit }));
                    }

                    break;
                default:
                    var length = random.Next(0, 60);
                    var header = new byte[codec.HeaderLength];
                    if (codec.Kind == FramingKind.UInt32BigEndian)
                    {
                        Frames.WriteBinaryHeader(header, random.Next(8) == 0 ? (uint)random.Next() : (uint)length);
                    }
                    else
                    {
                        // The low digits only when the length is wider than the header: a lying header on purpose.
                        Frames.WriteAsciiHeader(header, length % (long)Math.Pow(10, codec.HeaderLength), codec.HeaderLength);
                    }

                    stream.Write(header);
                    var payload = new byte[random.Next(0, length + 5)];
                    random.NextBytes(payload);
                    stream.Write(payload);
                    break;
            }
        }

        return stream.ToArray();
    }

    /// <summary>Feeds <paramref name="bytes"/> in random pieces, as a socket would, decoding whatever is complete.</summary>
    private static List<byte[]> Decode(FrameCodec codec, byte[] bytes, Random random, out HeaderStatus status)
    {
        var frames = new List<byte[]>();
        var buffer = new List<byte>();
        var offset = 0;
        status = HeaderStatus.Incomplete;
        while (offset < bytes.Length)
        {
            var piece = Math.Min(bytes.Length - offset, random.Next(0, 4) == 0 ? 1 : random.Next(1, 64));
            buffer.AddRange(bytes.AsSpan(offset, piece).ToArray());
            offset += piece;

            while (true)
            {
                var span = buffer.ToArray().AsSpan();
                status = codec.TryReadFrame(span, out var payload, out var consumed);
                if (status != HeaderStatus.Valid)
                {
                    break;
                }

                Assert.Equal(codec.HeaderLength + payload.Length, consumed);
                frames.Add(payload.ToArray());
                buffer.RemoveRange(0, consumed);
            }

            if (status is not (HeaderStatus.Incomplete or HeaderStatus.Valid))
            {
                return frames;
            }
        }

        return frames;
    }

    /// <summary>The protocol read plainly: a header of digits (or 4 big-endian bytes), not 0, not above the maximum.</summary>
    private static List<byte[]> Reference(FrameCodec codec, byte[] bytes, out HeaderStatus status)
    {
        var frames = new List<byte[]>();
        var at = 0;
        while (true)
        {
            if (bytes.Length - at < codec.HeaderLength)
            {
                status = HeaderStatus.Incomplete;
                return frames;
            }

            ulong length;
            if (codec.Kind == FramingKind.UInt32BigEndian)
            {
                length = ((ulong)bytes[at] << 24) | ((ulong)bytes[at + 1] << 16) | ((ulong)bytes[at + 2] << 8) | bytes[at + 3];
            }
            else
            {
                var header = Encoding.Latin1.GetString(bytes, at, codec.HeaderLength);
                if (!header.All(c => c is >= '0' and <= '9'))
                {
                    status = HeaderStatus.NotDigits;
                    return frames;
                }

                length = ulong.Parse(header, System.Globalization.CultureInfo.InvariantCulture);
            }

            if (length == 0)
            {
                status = HeaderStatus.ZeroLength;
                return frames;
            }

            if (length > (ulong)codec.MaxFrameBytes)
            {
                status = HeaderStatus.TooLarge;
                return frames;
            }

            if ((ulong)(bytes.Length - at - codec.HeaderLength) < length)
            {
                status = HeaderStatus.Incomplete;
                return frames;
            }

            frames.Add(bytes.AsSpan(at + codec.HeaderLength, (int)length).ToArray());
            at += codec.HeaderLength + (int)length;
        }
    }
}
