using System.Globalization;
using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// The documented bound for a peer that pipelines and never reads (docs/limits.md): its answers hold at most
/// 9/8 × (<c>Limits:MaxPendingWriteBytes</c> + one answer + header), measured as the host's resident memory per
/// non-reader, at the default 64 KiB limit and at 4 MiB, with 100 KiB binary frames answered by Reverse (same size).
/// Resident memory is read as soon as every non-reader is as far as the host takes it, usually before the host returns
/// idle memory (docs/limits.md), so garbage not yet collected counts: what a server under constant load shows.
/// </summary>
public sealed class NonReaderMemoryBoundTests(ITestOutputHelper output)
{
    private const int NonReaders = 32;
    private const int Payload = 100 * 1024;
    private const int Header = 4;

    /// <summary>
    /// Besides the answers, per connection: its receive side, a request partly arrived in one pooled array (at most
    /// twice the frame, docs/limits.md), and this much for its state machine, socket and sundries.
    /// </summary>
    private const int PerConnectionAllowance = 64 * 1024;

    /// <summary>
    /// For the whole process, shared by the non-readers: what the pools and the GC hold between collections from the
    /// arrays the connections went through before they fell behind (measured 4–13 MiB, with 32 non-readers 0.1–0.4 MiB
    /// each). It does not grow with their number.
    /// </summary>
    private const int ProcessAllowance = 16 * 1024 * 1024;

    public static TheoryData<string, int> Cases
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var transport in TransportData.All)
            {
                data.Add(transport, 64 * 1024);
                data.Add(transport, 4 * 1024 * 1024);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ResidentMemoryPerNonReaderStaysWithinTheLimitPlusOneAnswer(string transport, int limit)
    {
        await using var host = await RunningHost.StartAsync(
            transport,
            [$"--Limits:MaxPendingWriteBytes={limit}", "--Framing:Kind=UInt32BigEndian", "--Framing:MaxFrameBytes=1048576"]);
        var pid = host.Process.Id;
        var frame = Frames.Binary(Frames.Letters(Payload));
        var sockets = new List<Socket>();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            // Warm: the large-frame path is compiled and its first arrays are taken before the baseline.
            using (var warm = FrameClient.Connect(host.EndPoint, binary: true))
            {
                await warm.SendRawAsync(frame);
                Assert.Equal(Payload, (await warm.ReadFrameAsync(TimeSpan.FromSeconds(10))).Length);
            }

            // 5 resets the kernel's high-water mark (VmHWM) to the current resident size.
            await File.WriteAllTextAsync($"/proc/{pid}/clear_refs", "5");
            var before = Proc(pid, "VmRSS:");

            var burst = Frames.Repeat(frame, 80);
            var senders = new List<Task>();
            for (var i = 0; i < NonReaders; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 * 1024 };
                sockets.Add(socket);
                await socket.ConnectAsync(host.EndPoint);
                senders.Add(SendUntilBlockedAsync(socket, burst, giveUp.Token));
            }

            // Every non-reader taken as far as the host goes: on epoll, reading stops once its answers pass the limit;
            // on both, nothing more is received for a second.
            var lastReceived = -1L;
            var quietSince = DateTime.UtcNow;
            await host.StatusAsync(
                status =>
                {
                    if (status.BytesReceived != lastReceived)
                    {
                        lastReceived = status.BytesReceived;
                        quietSince = DateTime.UtcNow;
                    }

                    return status.AcceptedConnections >= NonReaders + 1
                        && (transport != "Epoll" || status.PausedConnections == NonReaders)
                        && DateTime.UtcNow - quietSince > TimeSpan.FromSeconds(1);
                },
                TimeSpan.FromSeconds(60));
            var settled = Proc(pid, "VmRSS:");
            var peak = Proc(pid, "VmHWM:");

            var perConnection = (double)(settled - before) / NonReaders;
            var answers = (limit + (long)Payload + Header) * 9 / 8;
            var bound = answers + (2L * (Payload + Header)) + PerConnectionAllowance + (ProcessAllowance / NonReaders);
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{transport}, {limit / 1024} KiB limit, {NonReaders} non-readers of {Payload / 1024} KiB frames: {perConnection / 1048576:F2} MiB resident each " +
                $"({perConnection / (limit + Payload + Header):F2} × (limit + answer), {perConnection / bound:F2} × bound {bound / 1048576.0:F2} MiB); " +
                $"high-water mark {(double)(peak - before) / NonReaders / 1048576:F2} MiB each"));

            Assert.True(perConnection <= bound, $"{perConnection:F0} bytes resident per non-reader, bound {bound}");

            using var good = FrameClient.Connect(host.EndPoint, binary: true);
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

    private static async Task SendUntilBlockedAsync(Socket socket, byte[] burst, CancellationToken giveUp)
    {
        try
        {
            await socket.SendAsync(burst.AsMemory(), SocketFlags.None, giveUp);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Blocked by the host's backpressure, as intended, until the test ends.
        }
    }

    private static long Proc(int pid, string key)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
        return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
