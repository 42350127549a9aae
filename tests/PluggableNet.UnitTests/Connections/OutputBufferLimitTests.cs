using PluggableNet.Server.Connections;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// A peer that stops reading holds the pending limit plus one answer, never the next doubling past it: up to the
/// limit the buffer doubles, beyond it it grows by what the answer being written needs.
/// </summary>
public sealed class OutputBufferLimitTests
{
    private const int Limit = 64 * 1024;
    private const int Answer = 99_999;

    [Fact]
    public void AnAnswerThatCrossesTheLimitCostsItsOwnSizeNotADoubling()
    {
        var buffer = new OutputBuffer(Limit);

        // Below the limit: ordinary doubling.
        Write(buffer, 60 * 1024, chunk: 60 * 1024);
        Assert.True(buffer.Capacity <= Limit, $"capacity {buffer.Capacity} below the limit");

        // One answer crosses it: the buffer holds what is pending plus an eighth, not the next power of two.
        Write(buffer, Answer, chunk: Answer);
        var pending = buffer.Length;
        Assert.InRange(buffer.Capacity, pending, pending + (pending / 8) + 1);
        buffer.Release();
        Assert.Equal(0, buffer.Capacity);
    }

    [Fact]
    public void AnAnswerWrittenInSmallPiecesPastTheLimitGrowsGeometricallyAndKeepsItsBytes()
    {
        var buffer = new OutputBuffer(Limit);
        var expected = new List<byte>();
        var grows = 0;
        var capacity = 0;
        for (var i = 0; i < (Limit + Answer) / 100; i++)
        {
            var span = buffer.GetSpan(100);
            for (var j = 0; j < 100; j++)
            {
                span[j] = (byte)(i + j);
                expected.Add((byte)(i + j));
            }

            buffer.Advance(100);
            if (buffer.Capacity != capacity)
            {
                capacity = buffer.Capacity;
                grows++;
            }
        }

        Assert.Equal(expected.ToArray(), buffer.Pending.ToArray());
        Assert.True(grows < 20, $"{grows} reallocations for {expected.Count} bytes");
        Assert.True(buffer.Capacity <= buffer.Length + (buffer.Length / 8) + 100, $"capacity {buffer.Capacity} for {buffer.Length} pending");
        buffer.Release();
    }

    [Fact]
    public void WithoutALimitTheBufferDoublesAsBefore()
    {
        var buffer = new OutputBuffer();

        Write(buffer, 600 * 1024, chunk: 600 * 1024);

        Assert.True(buffer.Capacity >= 600 * 1024);
        buffer.Release();
    }

    [Fact]
    public void APeerBehindByMoreThanTheDoublingGetsItsFinalArrayAtOnce()
    {
        const int limit = 4 * 1024 * 1024;
        const int answer = 100 * 1024;
        var buffer = new OutputBuffer(limit);
        var expected = new List<byte>();
        WriteNumbered(buffer, answer, expected);
        WriteNumbered(buffer, answer, expected);

        // The kernel took part of it and refused the rest: the peer is behind.
        buffer.Consume(answer / 2);
        expected.RemoveRange(0, answer / 2);
        var capacities = new HashSet<int>();
        while (buffer.Length <= limit)
        {
            WriteNumbered(buffer, answer, expected);
            capacities.Add(buffer.Capacity);
        }

        // From the array it had (256 KiB) straight to the limit plus an answer, within 9/8 × (limit + answer + header),
        // not through 512 KiB, 1, 2 and 4 MiB, each of which would be left behind in the pool or as garbage; every
        // unsent byte kept, in order.
        Assert.Equal([256 * 1024, buffer.Capacity], capacities.Order());
        Assert.InRange(buffer.Capacity, limit + answer, (limit + answer) * 9L / 8);
        Assert.True(expected.ToArray().AsSpan().SequenceEqual(buffer.Pending), "pending bytes changed by growing");
        buffer.Release();
    }

    [Fact]
    public void AnAnswerPastTheLimitToAPeerThatKeepsUpUsesAPooledArrayWithinTheBound()
    {
        var buffer = new OutputBuffer(Limit);

        // Header reserved first, then an answer larger than the limit, as the state machine writes it.
        buffer.Reserve(5);
        Write(buffer, Answer, chunk: Answer);

        // The shared pool's 128 KiB array, reused from one answer to the next, within 9/8 × (limit + answer).
        Assert.Equal(128 * 1024, buffer.Capacity);
        Assert.True(buffer.Capacity <= (Limit + Answer + 5) * 9L / 8);
        buffer.Consume(buffer.Length);
        Assert.Equal(0, buffer.Capacity);
    }

    private static void WriteNumbered(OutputBuffer buffer, int count, List<byte> expected)
    {
        var span = buffer.GetSpan(count)[..count];
        for (var i = 0; i < count; i++)
        {
            span[i] = (byte)(expected.Count + i);
        }

        expected.AddRange(span.ToArray());
        buffer.Advance(count);
    }

    private static void Write(OutputBuffer buffer, int count, int chunk)
    {
        while (count > 0)
        {
            var size = Math.Min(chunk, count);
            buffer.GetSpan(size)[..size].Fill((byte)'a');
            buffer.Advance(size);
            count -= size;
        }
    }
}
