using System.Text;
using PluggableNet.Protocol;
using PluggableNet.Server.Framing;

namespace PluggableNet.UnitTests.Shared;

/// <summary>
/// The frame builder the tests and benchmarks share (tests/Shared/Frames.cs) writes exactly the protocol's bytes,
/// and the host's own codec reads back what it built.
/// </summary>
public sealed class FramesTests
{
    [Fact]
    public void AnAsciiFrameIsAZeroPaddedDecimalLengthThenThePayload()
    {
        Assert.Equal("00005HELLO", Encoding.ASCII.GetString(Frames.Ascii("HELLO")));
        Assert.Equal("0000000012hello world\n", Encoding.ASCII.GetString(Frames.Ascii("hello world\n", 10)));
        Assert.Equal("3abc", Encoding.ASCII.GetString(Frames.Ascii("abc", 1)));
    }

    [Fact]
    public void TheLengthCountsUtf8BytesNotCharacters()
    {
        Assert.Equal("00002é"u8.ToArray(), Frames.Ascii("é"));
    }

    [Fact]
    public void ABinaryFrameIsABigEndianLengthThenThePayload()
    {
        var payload = new byte[258];

        Assert.Equal([0, 0, 1, 2, .. payload], Frames.Binary(payload));
    }

    [Fact]
    public void ALengthTooWideForTheHeaderIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Frames.Ascii("0123456789", 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Frames.WriteAsciiHeader(new byte[5], -1));
    }

    [Fact]
    public void ManyFramesAreBackToBack()
    {
        Assert.Equal("00001a00002bb", Encoding.ASCII.GetString(Frames.AsciiMany(["a", "bb"])));
        Assert.Equal("00001a00001a00001a", Encoding.ASCII.GetString(Frames.Repeat(Frames.Ascii("a"), 3)));
        Assert.Equal("abcdefghijklmnopqrstuvwxyzab", Encoding.ASCII.GetString(Frames.Letters(28)));
    }

    [Theory]
    [InlineData(FramingKind.AsciiDecimal, 1)]
    [InlineData(FramingKind.AsciiDecimal, 5)]
    [InlineData(FramingKind.AsciiDecimal, 10)]
    [InlineData(FramingKind.UInt32BigEndian, 4)]
    public void TheHostsCodecReadsBackWhatWasBuilt(FramingKind kind, int digits)
    {
        var codec = new FrameCodec(kind, kind == FramingKind.AsciiDecimal ? digits : 5, 1024 * 1024);
        var payload = Frames.Letters(digits == 1 ? 9 : 5000);
        var frame = Frames.Encode(payload, kind == FramingKind.UInt32BigEndian, digits);

        Assert.Equal(HeaderStatus.Valid, codec.TryReadFrame(frame, out var decoded, out var consumed));
        Assert.Equal(payload, decoded.ToArray());
        Assert.Equal(frame.Length, consumed);
    }
}
