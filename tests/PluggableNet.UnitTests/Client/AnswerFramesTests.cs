using System.Buffers;
using System.Text;
using PluggableNet.Client;
using PluggableNet.Protocol;

namespace PluggableNet.UnitTests.Client;

/// <summary>Answers cut off the received bytes: whole, incomplete, split across segments, empty, invalid, too large.</summary>
public sealed class AnswerFramesTests
{
    private static readonly LengthHeader s_ascii = new(FramingKind.AsciiDecimal, 5);

    [Fact]
    public void WholeAnswersAreCutOffOneByOne()
    {
        var buffer = Sequence("00002ok00000", "00003ab");

        Assert.True(AnswerFrames.TryRead(ref buffer, s_ascii, 100, out var first, out _));
        Assert.Equal("ok", Text(first));
        Assert.True(AnswerFrames.TryRead(ref buffer, s_ascii, 100, out var empty, out _));
        Assert.True(empty.IsEmpty);
        Assert.False(AnswerFrames.TryRead(ref buffer, s_ascii, 100, out _, out var error));
        Assert.Null(error);
        Assert.Equal("00003ab", Text(buffer));
    }

    [Fact]
    public void AHeaderAndPayloadSplitAcrossSegmentsAreRead()
    {
        var buffer = Sequence("000", "05he", "l", "lo");

        Assert.True(AnswerFrames.TryRead(ref buffer, s_ascii, 100, out var payload, out _));
        Assert.Equal("hello", Text(payload));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void ABinaryHeaderIsRead()
    {
        var buffer = new ReadOnlySequence<byte>([0, 0, 0, 2, (byte)'h', (byte)'i']);

        Assert.True(AnswerFrames.TryRead(ref buffer, new LengthHeader(FramingKind.UInt32BigEndian), 100, out var payload, out _));
        Assert.Equal("hi", Text(payload));
    }

    [Fact]
    public void AHeaderThatIsNotDigitsIsAProtocolError()
    {
        var buffer = Sequence("0x005hello");

        Assert.False(AnswerFrames.TryRead(ref buffer, s_ascii, 100, out _, out var error));
        Assert.Equal("answer header is not 5 ASCII digits (0x3078303035)", error);
    }

    [Fact]
    public void AnAnswerAboveTheLimitIsRefusedBeforeItsPayloadArrives()
    {
        var buffer = Sequence("00101");

        Assert.False(AnswerFrames.TryRead(ref buffer, s_ascii, 100, out _, out var error));
        Assert.Equal("answer header announces 101 bytes, above MaxAnswerBytes 100", error);
    }

    private static ReadOnlySequence<byte> Sequence(params string[] parts)
    {
        Segment? first = null, last = null;
        foreach (var part in parts)
        {
            var segment = new Segment(Encoding.ASCII.GetBytes(part), last);
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
