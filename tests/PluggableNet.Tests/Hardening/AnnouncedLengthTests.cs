using System.Buffers.Binary;
using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// Memory follows the bytes a peer actually sent, never the length its header announces: many connections that
/// announce a megabyte and send nothing more cost the host a small buffer each, not a megabyte each.
/// </summary>
public sealed class AnnouncedLengthTests(ITestOutputHelper output)
{
    private const int Attackers = 400;
    private const int Announced = (1024 * 1024) + 1;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task HeadersAnnouncingAMegabyteCostOnlyWhatArrived(string transport)
    {
        await using var host = await RunningHost.StartAsync(
            transport,
            ["--Framing:Kind=UInt32BigEndian", $"--Framing:MaxFrameBytes={Announced}"]);
        var attackers = new List<Socket>();
        try
        {
            using var good = FrameClient.Connect(host.EndPoint, binary: true);
            Assert.Equal("cba", await good.AskAsync("abc"));
            var before = await host.StatusAsync(_ => true);

            var header = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(header, Announced);
            for (var i = 0; i < Attackers; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                attackers.Add(socket);
                await socket.ConnectAsync(host.EndPoint);
                await socket.SendAsync(header, SocketFlags.None);
            }

            // Then one payload byte each, once the headers are read: a server that sizes its buffer by the header
            // rents the announced megabyte now.
            Assert.Equal("fed", await good.AskAsync("def"));
            foreach (var socket in attackers)
            {
                await socket.SendAsync("x"u8.ToArray(), SocketFlags.None);
            }

            // Every attacker is held open: the good client still gets its answer after all of them.
            Assert.Equal("ihg", await good.AskAsync("ghi"));
            var after = await host.StatusAsync(_ => true);
            var allocated = after.AllocatedBytes - before.AllocatedBytes;
            output.WriteLine($"{transport}: {Attackers} connections announcing {Announced} bytes, 5 bytes sent each: {allocated / 1024.0 / 1024.0:F1} MiB allocated");

            // Renting the announced size would allocate at least Attackers × 1 MiB (400 MiB); a receive buffer each is ~6 MiB.
            Assert.True(allocated < 64L * 1024 * 1024, $"{allocated} bytes allocated for {Attackers} announced megabytes");
        }
        finally
        {
            foreach (var socket in attackers)
            {
                socket.Dispose();
            }
        }
    }
}
