using System.Text;
using PluggableNet.Protocol;
using PluggableNet.Server.Framing;

namespace PluggableNet.UnitTests.Framing;

public sealed class FrameCodecTests
{
    [Theory]
    [InlineData(1, "5HELLO", "HELLO")]
    [InlineData(5, "00005HELLO", "HELLO")]
    [InlineData(10, "0000000005HELLO", "HELLO")]
    [InlineData(10, "0000000012hello world\n", "hello world\n")]
    public void ReadsAsciiHeadersOfEveryWidth(int digits, string wire, string payload)
    {
        var codec = new FrameCodec(FramingKind.AsciiDecimal, digits, 1024 * 1024);

        var status = codec.TryReadFrame(Encoding.ASCII.GetBytes(wire), out var decoded, out var consumed);

        Assert.Equal(HeaderStatus.Valid, status);
        Assert.Equal(payload, Encoding.ASCII.GetString(decoded));
        Assert.Equal(wire.Length, consumed);
    }

    [Fact]
    public void ReadsBinaryBigEndianLengths()
    {
        var codec = new FrameCodec(FramingKind.UInt32BigEndian, 5, 1024 * 1024);
        byte[] wire = [0, 0, 1, 0, .. new byte[256]];

        Assert.Equal(HeaderStatus.Valid, codec.TryReadFrame(wire, out var payload, out var consumed));
        Assert.Equal(256, payload.Length);
        Assert.Equal(260, consumed);
    }

    [Theory]
    [InlineData("0000")]
    [InlineData("00005HELL")]
    [InlineData("")]
    public void IncompleteInputIsIncomplete(string wire)
    {
        var codec = new FrameCodec(FramingKind.AsciiDecimal, 5, 1024);

        Assert.Equal(HeaderStatus.Incomplete, codec.TryReadFrame(Encoding.ASCII.GetBytes(wire), out _, out var consumed));
        Assert.Equal(0, consumed);
    }

    [Theory]
    [InlineData("+0005", nameof(HeaderStatus.NotDigits))]
    [InlineData("-0001", nameof(HeaderStatus.NotDigits))]
    [InlineData(" 0012", nameof(HeaderStatus.NotDigits))]
    [InlineData("0012 ", nameof(HeaderStatus.NotDigits))]
    [InlineData("HELLO", nameof(HeaderStatus.NotDigits))]
    [InlineData("0x0ff", nameof(HeaderStatus.NotDigits))]
    [InlineData("00000", nameof(HeaderStatus.ZeroLength))]
    [InlineData("02000", nameof(HeaderStatus.TooLarge))]
    public void RejectsEveryHeaderNbNetsIntWouldHaveAccepted(string header, string expected)
    {
        var codec = new FrameCodec(FramingKind.AsciiDecimal, 5, 1024);

        Assert.Equal(Enum.Parse<HeaderStatus>(expected), codec.TryReadHeader(Encoding.ASCII.GetBytes(header + "payload"), out _));
    }

    [Fact]
    public void TenDigitsOfNinesIsTooLargeNotAnOverflow()
    {
        var codec = new FrameCodec(FramingKind.AsciiDecimal, 10, 1024 * 1024);

        Assert.Equal(HeaderStatus.TooLarge, codec.TryReadHeader("9999999999"u8, out var length));
        Assert.Equal(0, length);
    }

    [Fact]
    public void BinaryZeroAndOversizedLengthsAreRejected()
    {
        var codec = new FrameCodec(FramingKind.UInt32BigEndian, 5, 1024);

        Assert.Equal(HeaderStatus.ZeroLength, codec.TryReadHeader([0, 0, 0, 0], out _));
        Assert.Equal(HeaderStatus.TooLarge, codec.TryReadHeader([0xFF, 0xFF, 0xFF, 0xFF], out _));
    }

    [Theory]
    [InlineData(5, 0, "00000")]
    [InlineData(5, 99_999, "99999")]
    [InlineData(1, 7, "7")]
    [InlineData(10, 1_048_576, "0001048576")]
    public void WritesZeroPaddedHeaders(int digits, int length, string expected)
    {
        var codec = new FrameCodec(FramingKind.AsciiDecimal, digits, 1024 * 1024);
        var header = new byte[digits];

        codec.WriteHeader(header, length);

        Assert.Equal(expected, Encoding.ASCII.GetString(header));
    }

    [Theory]
    [InlineData(1, 9)]
    [InlineData(5, 99_999)]
    [InlineData(9, 999_999_999)]
    public void MaxAnswerIsWhatTheWidthCanExpress(int digits, int expected)
    {
        Assert.Equal(expected, new FrameCodec(FramingKind.AsciiDecimal, digits, 1024).MaxAnswerBytes);
    }
}
