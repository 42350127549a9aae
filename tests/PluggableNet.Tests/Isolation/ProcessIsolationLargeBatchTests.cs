using System.Text;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Isolation;

/// <summary>
/// Large requests pipelined through an isolated plugin, many times what a socket buffer holds, on both transports and
/// protocols: on epoll the reactor both sends to its worker channel and reads the answers from it, so a send that
/// would block (the worker is itself blocked sending answers) must read answers meanwhile instead of waiting forever.
/// </summary>
public sealed class ProcessIsolationLargeBatchTests
{
    private const int Requests = 64;
    private const int Connections = 8;
    private const int PayloadBytes = 90_000;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [LinuxTheory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task LargePipelinedRequestsAllComeBackRight(string transport, string protocol)
    {
        await using var server = TestServer.Start(
            transport,
            ("Logic:PluginsPath", IsolationPlugins.CrashFolder),
            ("Logic:Plugin", "Crash"),
            ("Plugins:Crash:Isolation", "Process"));
        var filler = new string('x', PayloadBytes);
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => Task.Run(() => RoundTrip(server, protocol, filler))));

        // Whether a channel send found the buffer full depends on the scheduling (IsolationCounters.BlockedSends counts
        // it; most runs here do): what must hold either way is that every answer came back, so none is asserted.
    }

    private static async Task RoundTrip(TestServer server, string protocol, string filler)
    {

        if (protocol == "v1")
        {
            using var client = server.Connect();
            var burst = new List<byte>();
            for (var i = 1; i <= Requests; i++)
            {
                burst.AddRange(client.Frame(Encoding.UTF8.GetBytes($"{i}:{filler}")));
            }

            // Sent while the answers are read: the server stops reading a client that does not read.
            var sending = client.SendRawAsync(burst.ToArray());
            for (var i = 1; i <= Requests; i++)
            {
                Assert.Equal($"{i}:{filler}", await client.ReadStringAsync(s_timeout));
            }

            await sending;
        }
        else
        {
            using var client = await V2Connection.OpenAsync(server.EndPoint);
            var burst = new List<byte>();
            for (var i = 1; i <= Requests; i++)
            {
                burst.AddRange(V2Connection.Request((uint)i, $"{i}:{filler}"));
            }

            var sending = client.SendRawAsync(burst.ToArray());
            var seen = new List<uint>();
            for (var i = 0; i < Requests; i++)
            {
                var frame = await client.ReadFrameAsync(s_timeout);
                Assert.True(frame.Type == FrameType.Answer, $"{frame} {(frame.Type == FrameType.Error ? frame.Error.ToString() : "")}");
                Assert.Equal($"{frame.Id}:{filler}", frame.Text);
                seen.Add(frame.Id);
            }

            await sending;
            Assert.Equal(Enumerable.Range(1, Requests).Select(i => (uint)i), seen.Order());
        }
    }
}
