using System.Text;
using PluggableNet.Protocol;

namespace PluggableNet.UnitTests.Protocol;

public sealed class LengthHeaderTests
{
    [Theory]
    [InlineData(5, 5, "00005")]
    [InlineData(5, 99_999, "99999")]
    [InlineData(10, 5, "0000000005")]
    [InlineData(1, 7, "7")]
    public void AsciiHeadersAreFixedWidthDecimal(int digits, int length, string expected)
    {
        var header = new LengthHeader(FramingKind.AsciiDecimal, digits);
        var written = new byte[header.Size];
        header.Write(written, length);

        Assert.Equal(expected, Encoding.ASCII.GetString(written));
        Assert.Equal(LengthHeaderStatus.Valid, header.TryRead(written, out var read));
        Assert.Equal(length, read);
    }

    [Fact]
    public void BinaryHeadersAreFourBytesBigEndian()
    {
        var header = new LengthHeader(FramingKind.UInt32BigEndian);
        var written = new byte[header.Size];
        header.Write(written, 0x01020304);

        Assert.Equal(new byte[] { 1, 2, 3, 4 }, written);
        Assert.Equal(LengthHeaderStatus.Valid, header.TryRead([0xFF, 0xFF, 0xFF, 0xFF], out var read));
        Assert.Equal(uint.MaxValue, read);
    }

    [Theory]
    [InlineData("+0005")]
    [InlineData(" 0012")]
    [InlineData("-0001")]
    [InlineData("0000a")]
    public void AnythingButDigitsIsRejected(string text)
    {
        var header = new LengthHeader(FramingKind.AsciiDecimal, 5);
        Assert.Equal(LengthHeaderStatus.NotDigits, header.TryRead(Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void AShortInputIsIncompleteAndZeroIsLeftToTheReader()
    {
        var header = new LengthHeader(FramingKind.AsciiDecimal, 5);
        Assert.Equal(LengthHeaderStatus.Incomplete, header.TryRead("0000"u8, out _));
        Assert.Equal(LengthHeaderStatus.Valid, header.TryRead("00000"u8, out var zero));
        Assert.Equal(0, zero);
    }

    [Theory]
    [InlineData(FramingKind.AsciiDecimal, 5, 99_999)]
    [InlineData(FramingKind.AsciiDecimal, 10, int.MaxValue - 1_000)]
    [InlineData(FramingKind.UInt32BigEndian, 0, int.MaxValue - 1_000)]
    public void MaxPayloadIsWhatTheHeaderCanSayAndAnArrayCanHold(FramingKind kind, int digits, int atLeast)
    {
        var header = new LengthHeader(kind, digits == 0 ? 5 : digits);
        Assert.True(header.MaxPayloadBytes >= atLeast);
        Assert.True(header.MaxPayloadBytes <= Array.MaxLength - header.Size);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void AsciiDigitsOutsideOneToTenAreRefused(int digits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LengthHeader(FramingKind.AsciiDecimal, digits));
}
