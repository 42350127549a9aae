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
    // Payloads as large as are spliced (smaller ones are copied, not pinned).
    private static readonly string s_one = "payload-one|".PadRight(SharedPayload.SpliceMinimum, '1');
    private static readonly string s_two = "payload-two|".PadRight(SharedPayload.SpliceMinimum + 7, '2');

    public static TheoryData<int> SendSizes
    {
        get
        {
            var data = new TheoryData<int>();
            var total = "h1:".Length + s_one.Length + "h2:".Length + s_two.Length + "answer".Length;
            foreach (var size in Enumerable.Range(1, 8).Concat([SharedPayload.SpliceMinimum - 1, SharedPayload.SpliceMinimum, SharedPayload.SpliceMinimum + 2, SharedPayload.SpliceMinimum + 4, 2 * SharedPayload.SpliceMinimum + 5, total]))
            {
                data.Add(size);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(SendSizes))]
    public void EverySendSizeDeliversTheBytesInOrderAndReleasesEachPayloadOnceSent(int chunk)
    {
        var expected = "h1:" + s_one + "h2:" + s_two + "answer";
        var buffer = new OutputBuffer();
        var one = SharedPayload.Copy(Encoding.ASCII.GetBytes(s_one), references: 1);
        var two = SharedPayload.Copy(Encoding.ASCII.GetBytes(s_two), references: 1);
        Write(buffer, "h1:");
        buffer.Splice(one);
        Write(buffer, "h2:");
        buffer.Splice(two);
        Write(buffer, "answer");
        Assert.Equal(expected.Length, buffer.Length);

        var sent = new StringBuilder();
        while (buffer.Length > 0)
        {
            var bytes = Next(buffer, chunk);
            sent.Append(Encoding.ASCII.GetString(bytes));
            buffer.Consume(bytes.Length);
            if (sent.Length >= "h1:".Length + s_one.Length)
            {
                Assert.False(one.IsPinned, $"chunk {chunk}: the first payload is sent, so released");
            }
        }

        Assert.Equal(expected, sent.ToString());
        Assert.False(two.IsPinned);
        Assert.False(buffer.HasSplices);
        Assert.Equal(0, buffer.Capacity);
    }

    [Fact]
    public void WritingAfterAPartlySentSpliceKeepsTheOrderAcrossACompaction()
    {
        var buffer = new OutputBuffer();
        var text = "PAYLOAD".PadRight(SharedPayload.SpliceMinimum, 'p');
        var payload = SharedPayload.Copy(Encoding.ASCII.GetBytes(text), references: 1);
        Write(buffer, new string('a', 3000));
        buffer.Splice(payload);
        buffer.Consume(2999);

        // 1 + 4000 bytes fit once the sent prefix is dropped: the buffer compacts under the splice.
        Write(buffer, new string('b', 4000));
        Assert.Equal("a" + text + new string('b', 4000), Encoding.ASCII.GetString(Next(buffer, int.MaxValue)));
        buffer.Consume(buffer.Length);
        Assert.False(payload.IsPinned);
    }

    [Fact]
    public void DroppingTheOutputReleasesUnsentPayloads()
    {
        var buffer = new OutputBuffer();
        var payload = SharedPayload.Copy(Encoding.ASCII.GetBytes("unsent".PadRight(SharedPayload.SpliceMinimum, 'u')), references: 1);
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
