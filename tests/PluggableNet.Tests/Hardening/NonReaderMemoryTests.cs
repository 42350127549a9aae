using System.Net;
using System.Net.Sockets;
using PluggableNet.Testing;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// Clients that pipeline large requests and never read their answers hold the pending limit plus one answer each,
/// measured as the host's resident memory, not the next doubling past the limit.
/// </summary>
public sealed class NonReaderMemoryTests(ITestOutputHelper output)
{
    private const int NonReaders = 16;
    private const int Limit = 4 * 1024 * 1024;
    private const int Payload = 99_999;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task NonReadersHoldTheLimitPlusOneAnswer(string transport)
    {
        await using var host = await RunningHost.StartAsync(
            transport,
            [$"--Limits:MaxPendingWriteBytes={Limit}"]);
        var endPoint = host.EndPoint;
        var sockets = new List<Socket>();
        try
        {
            using (var warm = FrameClient.Connect(endPoint))
            {
                Assert.Equal("cba", await warm.AskAsync("abc"));
            }

            var before = ResidentBytes(host.Process.Id);
            var frame = Frames.Ascii(new string('n', Payload));
            var burst = Enumerable.Range(0, 80).SelectMany(_ => frame).ToArray();
            var senders = new List<Task>();
            for (var i = 0; i < NonReaders; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 * 1024 };
                sockets.Add(socket);
                await socket.ConnectAsync(endPoint);
                senders.Add(SendUntilBlockedAsync(socket, burst));
            }

            // The host stops reading each of them (epoll once its answers pass the limit, sockets as soon as a send
            // blocks); then its memory stops growing.
            var settled = before;
            var stable = 0;
            await Wait.UntilAsync(
                async () =>
                {
                    var previous = settled;
                    await Task.Delay(300);
                    settled = ResidentBytes(host.Process.Id);
                    stable = Math.Abs(settled - previous) < 1024 * 1024 ? stable + 1 : 0;
                    return stable >= 4;
                },
                TimeSpan.FromSeconds(30),
                "the host's memory to settle with every non-reader paused");
            var perConnection = (settled - before) / NonReaders;
            output.WriteLine($"{transport}: {NonReaders} non-readers at a {Limit / 1024 / 1024} MiB limit: {perConnection / 1024.0 / 1024.0:F2} MiB resident each");

            // The limit, one answer and an eighth, a receive buffer, and what the shared array pool keeps of the arrays
            // the buffer grew through. The previous doubling past the limit measured 9.9 MiB each (2.4× the limit).
            Assert.True(perConnection < Limit * 7L / 4, $"{perConnection} bytes resident per non-reader at a {Limit}-byte limit");
            if (transport == "Epoll")
            {
                // The epoll transport reads on until the limit: this run really took each connection there.
                Assert.True(perConnection > Limit * 9L / 10, $"only {perConnection} bytes per non-reader: the limit was never reached");
            }

            using var good = FrameClient.Connect(endPoint);
            Assert.Equal("fed", await good.AskAsync("def"));

            // Once they are gone, so is their memory, even on a host with nothing else to do (no allocation that would
            // bring a GC about): what it held returns to the system within seconds.
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }

            var held = settled - before;
            var after = settled;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await Wait.UntilAsync(
                () => (after = ResidentBytes(host.Process.Id)) < before + Math.Max(held / 4, 8 * 1024 * 1024),
                TimeSpan.FromSeconds(20),
                $"the memory of closed non-readers to return (held {held / 1024 / 1024} MiB)");
            output.WriteLine($"{transport}: after they closed, {(after - before) / 1024.0 / 1024.0:F1} MiB above the start within {watch.ElapsedMilliseconds} ms (held {held / 1024.0 / 1024.0:F1} MiB)");
            Assert.Equal("fed", await good.AskAsync("def"));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static async Task SendUntilBlockedAsync(Socket socket, byte[] burst)
    {
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await socket.SendAsync(burst.AsMemory(), SocketFlags.None, giveUp.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Blocked by the host's backpressure, as intended, until the test ends.
        }
    }

    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
