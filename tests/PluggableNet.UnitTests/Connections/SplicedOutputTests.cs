using System.Text;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Sessions;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// Shared payloads spliced into an output (a broadcast sent without a copy per member): a gathered send sends the
/// output's own bytes and the payloads in the order they were written, a partial send resumes exactly where it
/// stopped (mid-header, mid-payload, on a boundary), and each payload's reference goes back once it is sent or the
/// output is dropped.
/// </summary>
public sealed unsafe class SplicedOutputTests
{
    [Fact]
    public void EverySendSizeDeliversTheBytesInOrderAndReleasesEachPayloadOnceSent()
    {
        const string Expected = "h1:payload-one|h2:payload-two|answer";
        for (var chunk = 1; chunk <= Expected.Length; chunk++)
        {
            var buffer = new OutputBuffer();
            var one = SharedPayload.Copy("payload-one|"u8, references: 1);
            var two = SharedPayload.Copy("payload-two|"u8, references: 1);
            Write(buffer, "h1:");
            buffer.Splice(one);
            Write(buffer, "h2:");
            buffer.Splice(two);
            Write(buffer, "answer");
            Assert.Equal(Expected.Length, buffer.Length);

            var sent = new StringBuilder();
            while (buffer.Length > 0)
            {
                var bytes = Next(buffer, chunk);
                sent.Append(Encoding.ASCII.GetString(bytes));
                buffer.Consume(bytes.Length);
                if (sent.Length >= "h1:payload-one|".Length)
                {
                    Assert.False(one.IsPinned, $"chunk {chunk}: the first payload is sent, so released");
                }
            }

            Assert.Equal(Expected, sent.ToString());
            Assert.False(two.IsPinned);
            Assert.False(buffer.HasSplices);
            Assert.Equal(0, buffer.Capacity);
        }
    }

    [Fact]
    public void WritingAfterAPartlySentSpliceKeepsTheOrderAcrossACompaction()
    {
        var buffer = new OutputBuffer();
        var payload = SharedPayload.Copy("PAYLOAD"u8, references: 1);
        Write(buffer, new string('a', 3000));
        buffer.Splice(payload);
        buffer.Consume(2999);

        // 1 + 4000 bytes fit once the sent prefix is dropped: the buffer compacts under the splice.
        Write(buffer, new string('b', 4000));
        Assert.Equal("aPAYLOAD" + new string('b', 4000), Encoding.ASCII.GetString(Next(buffer, int.MaxValue)));
        buffer.Consume(buffer.Length);
        Assert.False(payload.IsPinned);
    }

    [Fact]
    public void DroppingTheOutputReleasesUnsentPayloads()
    {
        var buffer = new OutputBuffer();
        var payload = SharedPayload.Copy("unsent"u8, references: 1);
        Write(buffer, "header");
        buffer.Splice(payload);
        buffer.Consume(3);
        buffer.Release();
        Assert.False(payload.IsPinned);
        Assert.Equal(0, buffer.Length);
    }

    /// <summary>What a send of at most <paramref name="limit"/> bytes would take, gathered as a transport does.</summary>
    private static byte[] Next(OutputBuffer buffer, int limit)
    {
        Span<OutputSegment> segments = stackalloc OutputSegment[64];
        var count = buffer.Gather(segments, out var inline);
        var bytes = new List<byte>();
        for (var i = 0; i < count && bytes.Count < limit; i++)
        {
            var segment = segments[i];
            var source = segment.Pointer == null
                ? inline.AsSpan(segment.Offset, segment.Length)
                : new ReadOnlySpan<byte>(segment.Pointer + segment.Offset, segment.Length);
            bytes.AddRange(source[..Math.Min(source.Length, limit - bytes.Count)].ToArray());
        }

        return [.. bytes];
    }

    private static void Write(OutputBuffer buffer, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        bytes.CopyTo(buffer.GetSpan(bytes.Length));
        buffer.Advance(bytes.Length);
    }
}
