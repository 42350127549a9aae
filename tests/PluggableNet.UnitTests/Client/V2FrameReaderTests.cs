using System.Buffers;
using System.Text;
using PluggableNet.Client;
using PluggableNet.Protocol.V2;

namespace PluggableNet.UnitTests.Client;

/// <summary>
/// v2 frames cut off the bytes a client received: whole, split, incomplete, too large, of a type only a client sends,
/// and PUSH or unknown types dropped as they arrive whatever length they announce.
/// </summary>
public sealed class V2FrameReaderTests
{
    [Fact]
    public void FramesAreCutOffOneByOneWithTheirIds()
    {
        var buffer = Sequence(Frame(FrameType.Answer, 2, "ab"), Frame(FrameType.Error, 1, "\0\u0002boom"), Frame(FrameType.Ping, 0, "12345678"));
        var reader = default(V2FrameReader);

        Assert.Equal(V2FrameStatus.Frame, reader.TryRead(ref buffer, 100, out var answer, out var answerPayload, out _));
        Assert.Equal((FrameType.Answer, 2u, "ab"), (answer.Type, answer.Id, Text(answerPayload)));
        Assert.Equal(V2FrameStatus.Frame, reader.TryRead(ref buffer, 100, out var error, out var errorPayload, out _));
        Assert.Equal((FrameType.Error, 1u), (error.Type, error.Id));
        Assert.True(ErrorPayload.TryRead(errorPayload.ToArray(), out var failure));
        Assert.Equal(new ErrorPayload(ErrorCode.PluginFault, "boom"), failure);
        Assert.Equal(V2FrameStatus.Frame, reader.TryRead(ref buffer, 100, out var ping, out _, out _));
        Assert.Equal(FrameType.Ping, ping.Type);
        Assert.Equal(V2FrameStatus.NeedMore, reader.TryRead(ref buffer, 100, out _, out _, out var none));
        Assert.Null(none);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void AHeaderAndPayloadSplitAcrossSegmentsAreRead()
    {
        var frame = Frame(FrameType.Answer, 7, "hello");
        var buffer = Sequence(frame[..3], frame[3..11], frame[11..]);
        var reader = default(V2FrameReader);

        Assert.Equal(V2FrameStatus.Frame, reader.TryRead(ref buffer, 100, out var header, out var payload, out _));
        Assert.Equal(7u, header.Id);
        Assert.Equal("hello", Text(payload));
    }

    [Fact]
    public void AnIncompleteFrameWaitsAndKeepsItsHeader()
    {
        var frame = Frame(FrameType.Answer, 1, "hello");
        var buffer = Sequence(frame[..12]);
        var reader = default(V2FrameReader);

        Assert.Equal(V2FrameStatus.NeedMore, reader.TryRead(ref buffer, 100, out _, out _, out _));
        Assert.Equal(12, buffer.Length);
    }

    [Fact]
    public void AnAnswerAboveMaxAnswerBytesIsInvalidBeforeItsPayloadArrives()
    {
        var buffer = Sequence(Header(FrameType.Answer, 3, 101));
        var reader = default(V2FrameReader);

        Assert.Equal(V2FrameStatus.Invalid, reader.TryRead(ref buffer, 100, out _, out _, out var error));
        Assert.Equal("an ANSWER for request 3 announces 101 bytes, above MaxAnswerBytes 100", error);
    }

    [Theory]
    [InlineData(FrameType.Error)]
    [InlineData(FrameType.Ping)]
    [InlineData(FrameType.Pong)]
    [InlineData(FrameType.GoAway)]
    [InlineData(FrameType.Settings)]
    public void AControlFrameAbove16KiBIsInvalid(FrameType type)
    {
        var buffer = Sequence(Header(type, 0, V2FrameReader.MaxControlBytes + 1));
        var reader = default(V2FrameReader);

        Assert.Equal(V2FrameStatus.Invalid, reader.TryRead(ref buffer, int.MaxValue, out _, out _, out var error));
        Assert.Contains("above the 16384 a control frame may have", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FrameType.Request)]
    [InlineData(FrameType.Cancel)]
    public void AFrameOnlyAClientSendsIsInvalidFromTheServer(FrameType type)
    {
        var buffer = Sequence(Header(type, 1, 0));
        var reader = default(V2FrameReader);

        Assert.Equal(V2FrameStatus.Invalid, reader.TryRead(ref buffer, 100, out _, out _, out var error));
        Assert.Contains("only a client sends", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FrameType.Push)]
    [InlineData((FrameType)200)]
    public void PushAndUnknownTypesAreDroppedAsTheyArriveWhateverTheyAnnounce(FrameType type)
    {
        // Announces far more than MaxAnswerBytes (100): nothing is held for it, each chunk is dropped as it comes.
        const int announced = 100_000;
        var reader = default(V2FrameReader);
        var buffer = Sequence(Header(type, 0, announced), new byte[1000]);

        Assert.Equal(V2FrameStatus.NeedMore, reader.TryRead(ref buffer, 100, out _, out _, out _));
        Assert.True(buffer.IsEmpty);

        buffer = Sequence(new byte[announced - 1000 - 1]);
        Assert.Equal(V2FrameStatus.NeedMore, reader.TryRead(ref buffer, 100, out _, out _, out _));
        Assert.True(buffer.IsEmpty);

        // Its last byte, then a frame the client acts on.
        buffer = Sequence([0], Frame(FrameType.Answer, 1, "ok"));
        Assert.Equal(V2FrameStatus.Frame, reader.TryRead(ref buffer, 100, out var header, out var payload, out _));
        Assert.Equal((FrameType.Answer, "ok"), (header.Type, Text(payload)));
    }

    private static byte[] Header(FrameType type, uint id, int length)
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader((uint)length, type, 0, id).Write(bytes);
        return bytes;
    }

    private static byte[] Frame(FrameType type, uint id, string payload) =>
        [.. Header(type, id, Encoding.ASCII.GetByteCount(payload)), .. Encoding.ASCII.GetBytes(payload)];

    private static ReadOnlySequence<byte> Sequence(params byte[][] parts)
    {
        Segment? first = null, last = null;
        foreach (var part in parts)
        {
            var segment = new Segment(part, last);
            first ??= segment;
            last = segment;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private static string Text(ReadOnlySequence<byte> bytes) => Encoding.ASCII.GetString(bytes.ToArray());

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, Segment? previous)
        {
            Memory = bytes;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
