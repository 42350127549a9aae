using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using PluggableNet.Server.Connections;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// The pending answers of one connection as plugins and transports see them: what is written is what is sent, in
/// order; reserved headers and truncation points stay where they were while the buffer compacts and grows; the
/// pooled buffer goes back as soon as everything is sent.
/// </summary>
public sealed class OutputBufferTests
{
    [Fact]
    public void WritesArePendingInTheOrderTheyWereMade()
    {
        var buffer = new OutputBuffer();

        Write(buffer, "first ");
        Write(buffer, "second ");
        Write(buffer, "third");

        Assert.Equal("first second third", Encoding.ASCII.GetString(buffer.Pending));
        Assert.Equal(18, buffer.Length);
        Assert.Equal(buffer.Pending.ToArray(), buffer.PendingMemory.ToArray());
        buffer.Release();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(1_000_000)]
    public void GetSpanAndGetMemoryGiveAtLeastTheSizeAsked(int sizeHint)
    {
        var buffer = new OutputBuffer();
        Write(buffer, "already pending");

        Assert.True(buffer.GetSpan(sizeHint).Length >= Math.Max(1, sizeHint));
        Assert.True(buffer.GetMemory(sizeHint).Length >= Math.Max(1, sizeHint));
        Assert.Equal("already pending", Encoding.ASCII.GetString(buffer.Pending));
        buffer.Release();
    }

    [Fact]
    public void AReservedHeaderFilledAfterTheBufferGrewLandsInFrontOfItsPayload()
    {
        var buffer = new OutputBuffer();
        Write(buffer, "earlier answer|");

        var header = buffer.Reserve(5);
        var payload = Frames.Letters(200_000);
        Write(buffer, payload);
        Encoding.ASCII.GetBytes("HEAD|", buffer.Slice(header, 5));

        Assert.Equal([.. "earlier answer|HEAD|"u8, .. payload], buffer.Pending.ToArray());
        buffer.Release();
    }

    [Fact]
    public void AReservedHeaderStaysInPlaceWhenAPartialSendLetsTheBufferCompact()
    {
        var buffer = new OutputBuffer();
        var first = Frames.Letters(4000);
        Write(buffer, first);
        buffer.Consume(3000);

        // Positions count from the unsent data, so they survive the sent prefix being dropped under the write.
        var header = buffer.Reserve(5);
        Assert.Equal(1000, header);
        var second = Enumerable.Repeat((byte)'x', 3000).ToArray();
        Write(buffer, second);
        Encoding.ASCII.GetBytes("HEAD|", buffer.Slice(header, 5));

        Assert.Equal([.. first[3000..], .. "HEAD|"u8, .. second], buffer.Pending.ToArray());
        buffer.Release();
    }

    [Fact]
    public void TruncateDropsWhatWasWrittenAfterThePositionAndKeepsWhatCameBefore()
    {
        var buffer = new OutputBuffer();
        Write(buffer, "kept|");
        var position = buffer.Position;
        buffer.Reserve(5);
        Write(buffer, Frames.Letters(50_000));

        buffer.Truncate(position);
        Write(buffer, "next");

        Assert.Equal("kept|next", Encoding.ASCII.GetString(buffer.Pending));
        Assert.Equal(9, buffer.Length);
        buffer.Release();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AnyMixOfWritesReservesTruncatesAndPartialSendsMatchesAPlainModel(int seed)
    {
        // The model is a plain list; the buffer must always hold exactly the same bytes.
        var random = new Random(seed);
        var buffer = new OutputBuffer();
        var model = new List<byte>();
        var sent = 0L;
        for (var step = 0; step < 3000; step++)
        {
            switch (random.Next(4))
            {
                case 0:
                    var bytes = new byte[random.Next(0, random.Next(2) == 0 ? 100 : 20_000)];
                    random.NextBytes(bytes);
                    Write(buffer, bytes);
                    model.AddRange(bytes);
                    break;
                case 1:
                    // An answer behind a header filled in once its length is known, as the connection does.
                    var header = buffer.Reserve(4);
                    var at = model.Count;
                    model.AddRange(new byte[4]);
                    var body = new byte[random.Next(0, 10_000)];
                    random.NextBytes(body);
                    Write(buffer, body);
                    model.AddRange(body);
                    BitConverter.TryWriteBytes(buffer.Slice(header, 4), body.Length);
                    BitConverter.TryWriteBytes(CollectionsMarshal.AsSpan(model).Slice(at, 4), body.Length);
                    break;
                case 2:
                    var keep = buffer.Position;
                    Write(buffer, new byte[random.Next(1, 30_000)]);
                    buffer.Truncate(keep);
                    break;
                default:
                    var count = random.Next(0, buffer.Length + 1);
                    Assert.Equal(model.Take(count).ToArray(), buffer.Pending[..count].ToArray());
                    buffer.Consume(count);
                    model.RemoveRange(0, count);
                    sent += count;
                    break;
            }

            Assert.Equal(model.Count, buffer.Length);
        }

        Assert.Equal(model.ToArray(), buffer.Pending.ToArray());
        Assert.True(sent > 0);
        buffer.Release();
    }

    [Fact]
    public void SendingEverythingReturnsTheBufferToThePool()
    {
        var buffer = new OutputBuffer();
        Write(buffer, "answer");
        var rented = ArrayOf(buffer);

        buffer.Consume(buffer.Length);

        Assert.Equal(0, buffer.Length);
        Assert.True(buffer.Pending.IsEmpty);

        // The shared pool hands a just-returned array back to the next rent of its size on the same thread.
        var next = ArrayPool<byte>.Shared.Rent(rented.Length);
        Assert.Same(rented, next);
        ArrayPool<byte>.Shared.Return(next);
    }

    [Fact]
    public void APartialSendKeepsTheBuffer()
    {
        var buffer = new OutputBuffer();
        Write(buffer, "answer");
        var rented = ArrayOf(buffer);

        buffer.Consume(buffer.Length - 1);

        Assert.Equal("r", Encoding.ASCII.GetString(buffer.Pending));
        var next = ArrayPool<byte>.Shared.Rent(rented.Length);
        Assert.NotSame(rented, next);
        ArrayPool<byte>.Shared.Return(next);
        buffer.Release();
    }

    [Fact]
    public void WritingAgainAfterEverythingWasSentStartsAfresh()
    {
        var buffer = new OutputBuffer();
        Write(buffer, "one");
        buffer.Consume(3);

        Write(buffer, "two");

        Assert.Equal("two", Encoding.ASCII.GetString(buffer.Pending));
        Assert.Equal(3, buffer.Position);
        buffer.Release();
    }

    [Fact]
    public void ReleaseDropsWhatWasNotSent()
    {
        var buffer = new OutputBuffer();
        Write(buffer, "never sent");

        buffer.Release();

        Assert.Equal(0, buffer.Length);
        Assert.True(buffer.Pending.IsEmpty);
        Assert.True(buffer.PendingMemory.IsEmpty);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(int.MaxValue)]
    [InlineData(-1)]
    public void AdvancingPastTheSpanGivenThrows(int beyond)
    {
        var buffer = new OutputBuffer();
        Write(buffer, "already pending");
        var span = buffer.GetSpan(10);
        var tooFar = beyond < 0 ? beyond : (int)Math.Min(int.MaxValue, (long)span.Length + beyond);

        Assert.Throws<InvalidOperationException>(() => buffer.Advance(tooFar));
        Assert.Equal("already pending", Encoding.ASCII.GetString(buffer.Pending));
        buffer.Release();
    }

    [Fact]
    public void AdvancingByExactlyTheSpanGivenIsAllowed()
    {
        var buffer = new OutputBuffer();
        Write(buffer, "already pending");
        var length = buffer.GetSpan(10).Length;

        buffer.Advance(length);

        Assert.Equal(15 + length, buffer.Length);
        buffer.Release();
    }

    [Fact]
    public void ALargeAnswerWrittenInPiecesIsSentWholeInSocketSizedChunks()
    {
        var buffer = new OutputBuffer();
        var answer = new byte[8 * 1024 * 1024];
        new Random(7).NextBytes(answer);
        for (var offset = 0; offset < answer.Length; offset += 1000)
        {
            Write(buffer, answer.AsSpan(offset, Math.Min(1000, answer.Length - offset)));
        }

        var received = new List<byte>(answer.Length);
        while (buffer.Length > 0)
        {
            var chunk = buffer.Pending[..Math.Min(65_536, buffer.Length)];
            received.AddRange(chunk);
            buffer.Consume(chunk.Length);
        }

        Assert.Equal(answer, received.ToArray());
    }

    [Fact]
    public void ALargeAnswerWrittenInOneSpanIsKeptWhole()
    {
        var buffer = new OutputBuffer();
        var answer = Frames.Letters(16 * 1024 * 1024);

        var span = buffer.GetSpan(answer.Length);
        answer.CopyTo(span);
        buffer.Advance(answer.Length);

        Assert.Equal(answer.Length, buffer.Length);
        Assert.True(buffer.Pending.SequenceEqual(answer));
        buffer.Release();
    }

    private static void Write(OutputBuffer buffer, string text) => Write(buffer, Encoding.ASCII.GetBytes(text));

    /// <summary>Writes as a plugin does: asks for a span, fills part of it, advances.</summary>
    private static void Write(OutputBuffer buffer, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var span = buffer.GetSpan();
            var count = Math.Min(span.Length, bytes.Length);
            bytes[..count].CopyTo(span);
            buffer.Advance(count);
            bytes = bytes[count..];
        }
    }

    private static byte[] ArrayOf(OutputBuffer buffer) =>
        MemoryMarshal.TryGetArray<byte>(buffer.GetMemory(), out var segment) ? segment.Array! : throw new InvalidOperationException("not array-backed");
}
