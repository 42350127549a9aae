using System.Diagnostics;
using System.Net.Sockets;
using PluggableNet.Host.Control;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Performance;

/// <summary>
/// The periodic timeout scan walks every connection without copying the set: with thousands of idle connections and
/// a scan every 100 ms, the host allocates next to nothing per connection. The Sockets scan once copied its
/// connections into a new list each time (<c>ConcurrentDictionary.Values</c>: 8 B per connection per scan, the
/// fan-out benchmark's "1–3 B per delivery" on Sockets). Measured in a separate host process through its status
/// channel's allocated-bytes figure, like <see cref="PushAllocationTests"/>.
/// </summary>
public sealed class IdleScanAllocationTests(ITestOutputHelper output)
{
    private const int Connections = 3000;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ScanningThousandsOfIdleConnectionsAllocatesNothingPerConnection(string transport)
    {
        // A 0.4 s write timeout makes the scan run every 100 ms (a quarter of the shortest timeout); idle connections
        // have nothing to write, so none of them times out.
        await using var host = await RunningHost.StartAsync(transport, ["--Limits:WriteTimeout=0.4"]);
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                await socket.ConnectAsync(host.EndPoint);
            }

            await host.StatusAsync(status => status.Connections == Connections);

            // Warm: the scan's code is compiled and whatever it keeps is allocated before the window.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var before = await ControlChannel.QueryAsync(host.ControlSocket, TimeSpan.FromSeconds(5));
            var window = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(3));
            var after = await ControlChannel.QueryAsync(host.ControlSocket, TimeSpan.FromSeconds(5));
            window.Stop();

            Assert.Equal(Connections, after!.Connections);
            var perConnectionPerSecond = (after.AllocatedBytes - before!.AllocatedBytes) / (double)Connections / window.Elapsed.TotalSeconds;
            output.WriteLine($"{transport}: {perConnectionPerSecond:F2} B allocated per idle connection per second ({after.AllocatedBytes - before.AllocatedBytes} B in {window.Elapsed.TotalSeconds:F1} s)");

            // Copying the set would be 8 B per connection per scan, 80 B per connection per second at 10 scans a
            // second; the bound leaves room for the host's timers and the two status queries (a few KB a second).
            const double Bound = 20;
            Assert.True(perConnectionPerSecond < Bound, $"{perConnectionPerSecond:F2} B per idle connection per second on {transport}");
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }
}
