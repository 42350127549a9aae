using System.Net.Sockets;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>
/// Random v2 frames against a real host (types, flags, announced lengths, ids; random splits and abrupt ends), from
/// several connections at once: the host stays up, well-behaved v1 and v2 clients on it keep their answers, and every
/// fuzzing connection is gone once its peer is.
/// </summary>
public sealed class WireFuzzTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task RandomFramesNeverHurtTheHostOrOtherConnections(string transport)
    {
        await using var server = V2Plugins.Start(transport, V2Plugins.Offloaded, ("Limits:ReadTimeout", "1"), ("Limits:ProcessTimeout", "1"));
        using var v2 = await V2Connection.OpenAsync(server.EndPoint);
        using var v1 = server.Connect();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));

        var fuzzers = Enumerable.Range(0, 6).Select(seed => Task.Run(() => FuzzAsync(server, seed, stop.Token))).ToList();
        uint id = 0;
        while (!stop.IsCancellationRequested)
        {
            Assert.Equal("2v", await v2.AskAsync(++id, "v2"));
            Assert.Equal("1v", await v1.AskAsync("v1"));
        }

        var fuzzed = (await Task.WhenAll(fuzzers)).Sum();
        var status = server.Server.Status();
        output.WriteLine($"{transport}: {fuzzed} fuzzing connections, {status.V2Connections} negotiated v2, protocol errors {string.Join(", ", status.ProtocolErrors.Select(e => $"{e.Key} {e.Value}"))}");
        Assert.True(fuzzed > 0, "no fuzzing connection was made");
        Assert.True(status.ProtocolErrors["v2_violation"] > 0, "the fuzz never broke the protocol: it tested nothing");
        await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == 2, Wait.Default, "every fuzzing connection to be closed");
        Assert.Equal("2v", await v2.AskAsync(++id, "v2"));
    }

    /// <summary>Connections that each send random frames in random pieces, then end abruptly or cleanly; returns how many.</summary>
    private static async Task<int> FuzzAsync(TestServer server, int seed, CancellationToken stop)
    {
        var random = new Random(seed);
        var connections = 0;
        while (!stop.IsCancellationRequested && connections < 2000)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(server.EndPoint, CancellationToken.None);
            connections++;
            var bytes = new List<byte>(Preface.Bytes.ToArray());
            uint id = 0;
            for (var frame = random.Next(1, 40); frame > 0; frame--)
            {
                bytes.AddRange(RandomFrame(random, ref id));
            }

            try
            {
                // Read what comes back meanwhile, so the host is not held up by a full socket buffer alone.
                var drain = DrainAsync(socket);
                for (var offset = 0; offset < bytes.Count && !stop.IsCancellationRequested;)
                {
                    var count = Math.Min(bytes.Count - offset, random.Next(1, 5000));
                    await socket.SendAsync(bytes.GetRange(offset, count).ToArray(), SocketFlags.None);
                    offset += count;
                }

                if (random.Next(2) == 0)
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
            }
            catch (SocketException)
            {
                // The host closed it (a protocol error it found): what it should do.
            }
        }

        return connections;
    }

    private static async Task DrainAsync(Socket socket)
    {
        var buffer = new byte[65536];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Ends with the connection.
        }
    }

    private static byte[] RandomFrame(Random random, ref uint id)
    {
        var type = (FrameType)random.Next(0, 12);
        var frameId = type == FrameType.Request && random.Next(20) != 0 ? id += (uint)random.Next(1, 100) : (uint)random.Next(0, 3);
        var length = random.Next(10) == 0 ? random.Next(100_000, 5_000_000) : random.Next(0, 300);
        var sent = Math.Min(length, 20_000);
        var bytes = new byte[FrameHeader.Size + sent];
        new FrameHeader((uint)length, type, (byte)random.Next(256), frameId).Write(bytes);
        random.NextBytes(bytes.AsSpan(FrameHeader.Size));
        return bytes;
    }
}
