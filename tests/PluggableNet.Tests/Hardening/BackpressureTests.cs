using System.Text;
using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

public sealed partial class BackpressureTests
{
    private const int PayloadLength = 1000;
    private const int MaxPendingWriteBytes = 4096;

    // More than every kernel buffer on the path can hold (tcp_rmem allows up to 32 MiB), so the sender must stall.
    private const long MaxBytesToSend = 96L * 1024 * 1024;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ClientThatNeverReadsIsPausedThenGetsEveryAnswerInOrder(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:MaxPendingWriteBytes", MaxPendingWriteBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        using var client = server.Connect();
        client.Socket.ReceiveBufferSize = 64 * 1024;
        client.Socket.SendBufferSize = 64 * 1024;

        long sentBytes = 0;
        var sentFrames = 0;
        var stopSending = 0;
        var sender = Task.Run(async () =>
        {
            var chunk = new byte[64 * (PayloadLength + 5)];
            while (Interlocked.Read(ref sentBytes) < MaxBytesToSend && Volatile.Read(ref stopSending) == 0)
            {
                for (var i = 0; i < 64; i++)
                {
                    Frame(sentFrames + i).CopyTo(chunk, i * (PayloadLength + 5));
                }

                await client.SendRawAsync(chunk);
                Volatile.Write(ref sentFrames, sentFrames + 64);
                Interlocked.Add(ref sentBytes, chunk.Length);
            }

            await client.SendAsync("end");
        });

        // The server stops reading: the sender stalls long before it has sent everything.
        await server.Log.WaitForAsync("paused reading", timeout: TimeSpan.FromSeconds(15));
        long lastSeen = -1;
        await Wait.UntilAsync(
            async () =>
            {
                var now = Interlocked.Read(ref sentBytes);
                var stalled = now == lastSeen;
                lastSeen = now;
                await Task.Delay(300);
                return stalled || sender.IsCompleted;
            },
            TimeSpan.FromSeconds(20),
            "the sender to stall");
        Assert.False(sender.IsCompleted, $"the client sent all {MaxBytesToSend} bytes: the server never stopped reading");

        // Bounded: the server held at most the limit plus one answer of unsent output.
        foreach (var message in server.Log.Messages().Where(m => m.Contains("paused reading", StringComparison.Ordinal)))
        {
            var match = UnsentBytes().Match(message);
            Assert.True(match.Success, message);
            Assert.True(long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= MaxPendingWriteBytes + PayloadLength + 5, message);
        }

        // Now read: every answer arrives, in order, while the sender finishes and marks the end.
        Volatile.Write(ref stopSending, 1);
        var received = 0;
        while (received <= MaxBytesToSend / PayloadLength)
        {
            var answer = await client.ReadFrameAsync();
            if (answer.AsSpan().SequenceEqual("dne"u8))
            {
                break;
            }

            Assert.Equal(Expected(received), answer);
            received++;
        }

        await sender;
        Assert.Equal(Volatile.Read(ref sentFrames), received);
    }

    private static byte[] Frame(int sequence) => Frames.Ascii(Payload(sequence));

    private static byte[] Payload(int sequence)
    {
        var payload = new byte[PayloadLength];
        payload.AsSpan().Fill((byte)('a' + (sequence % 26)));
        Encoding.ASCII.GetBytes(sequence.ToString("D10", System.Globalization.CultureInfo.InvariantCulture)).CopyTo(payload, 0);
        return payload;
    }

    private static byte[] Expected(int sequence)
    {
        var answer = Payload(sequence);
        Array.Reverse(answer);
        return answer;
    }

    [GeneratedRegex(@"paused reading: (\d+) bytes of answers unsent")]
    private static partial Regex UnsentBytes();
}
