using System.Buffers;
using PluggableNet.Protocol.V2;

namespace PluggableNet.UnitTests.Protocol;

/// <summary>The v2 frame syntax of docs/protocol.md, byte for byte.</summary>
public sealed class V2FramesTests
{
    [Fact]
    public void TheHeaderIsLengthTypeFlagsIdBigEndian()
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader(5, FrameType.Request, 0, 0x01020304).Write(bytes);

        Assert.Equal(new byte[] { 0, 0, 0, 5, 1, 0, 1, 2, 3, 4 }, bytes);
        Assert.True(FrameHeader.TryRead(bytes, out var read));
        Assert.Equal(new FrameHeader(5, FrameType.Request, 0, 0x01020304), read);
    }

    [Fact]
    public void AShortHeaderIsNotReadAndUnknownTypesAreKept()
    {
        Assert.False(FrameHeader.TryRead(new byte[9], out _));
        Assert.True(FrameHeader.TryRead(new byte[] { 0, 0, 0, 0, 200, 7, 0, 0, 0, 0 }, out var unknown));
        Assert.Equal((FrameType)200, unknown.Type);
        Assert.Equal(7, unknown.Flags);
    }

    [Theory]
    [InlineData("PNET/2\r\n", PrefaceMatch.Preface)]
    [InlineData("PNET/2\r\nmore", PrefaceMatch.Preface)]
    [InlineData("PNE", PrefaceMatch.Incomplete)]
    [InlineData("", PrefaceMatch.Incomplete)]
    [InlineData("00005", PrefaceMatch.NotPreface)]
    [InlineData("PNET/1\r\n", PrefaceMatch.NotPreface)]
    public void ThePrefaceIsRecognisedFromItsFirstDifferingByte(string start, PrefaceMatch expected) =>
        Assert.Equal(expected, Preface.Match(System.Text.Encoding.ASCII.GetBytes(start)));

    [Fact]
    public void ThePrefaceAsABinaryLengthIsWhatTheHostMustStayBelow() =>
        Assert.Equal(Preface.AsBinaryLength, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(Preface.Bytes));

    [Fact]
    public void AnErrorPayloadIsACodeThenText()
    {
        var writer = new ArrayBufferWriter<byte>();
        new ErrorPayload(ErrorCode.PluginFault, "boom").Write(writer);

        Assert.Equal(new byte[] { 0, 2, (byte)'b', (byte)'o', (byte)'o', (byte)'m' }, writer.WrittenSpan.ToArray());
        Assert.True(ErrorPayload.TryRead(writer.WrittenSpan, out var read));
        Assert.Equal(new ErrorPayload(ErrorCode.PluginFault, "boom"), read);
        Assert.False(ErrorPayload.TryRead([1], out _));
    }

    [Fact]
    public void ALongReasonIsCutAtACharacterBoundary()
    {
        var writer = new ArrayBufferWriter<byte>();
        var text = new string('é', 600); // 2 bytes each: 1,200 bytes
        new ErrorPayload(ErrorCode.InternalError, text).Write(writer);

        Assert.Equal(2 + 1024, writer.WrittenCount);
        Assert.True(ErrorPayload.TryRead(writer.WrittenSpan, out var read));
        Assert.Equal(new string('é', 512), read.Text);
    }

    [Fact]
    public void AGoAwayPayloadIsLastIdCodeThenText()
    {
        var writer = new ArrayBufferWriter<byte>();
        new GoAwayPayload(7, ErrorCode.NoError, "drain").Write(writer);

        Assert.Equal(new byte[] { 0, 0, 0, 7, 0, 0, (byte)'d', (byte)'r', (byte)'a', (byte)'i', (byte)'n' }, writer.WrittenSpan.ToArray());
        Assert.True(GoAwayPayload.TryRead(writer.WrittenSpan, out var read));
        Assert.Equal(new GoAwayPayload(7, ErrorCode.NoError, "drain"), read);
        Assert.False(GoAwayPayload.TryRead(new byte[5], out _));
    }

    [Fact]
    public void SettingsRoundTripAndUnknownKeysAreSkipped()
    {
        var settings = new Settings { MaxFrameBytes = 1_048_576, MaxConcurrentRequests = 64, PingIntervalMs = 30_000, PingTimeoutMs = 10_000, Server = "PluggableNet/1.0.0", Plugin = "Reverse/1.0.0" };
        var writer = new ArrayBufferWriter<byte>();
        writer.Write(new byte[] { 0, 99, 0, 3, 1, 2, 3 }); // key 99, 3 bytes: unknown, skipped
        settings.Write(writer);

        Assert.True(Settings.TryRead(writer.WrittenSpan, out var read));
        Assert.Equal(settings, read);
    }

    [Theory]
    [InlineData(new byte[] { 0, 1, 0, 2, 0, 0 })] // a number that is not 4 bytes
    [InlineData(new byte[] { 0, 16, 0, 9, 65 })] // a text running past the end
    [InlineData(new byte[] { 0, 1, 0 })] // a cut entry header
    public void MalformedSettingsAreRefused(byte[] payload) => Assert.False(Settings.TryRead(payload, out _));

    [Fact]
    public void AbsentSettingsKeepTheirDefaults()
    {
        Assert.True(Settings.TryRead([], out var read));
        Assert.Equal(new Settings(), read);
    }
}
