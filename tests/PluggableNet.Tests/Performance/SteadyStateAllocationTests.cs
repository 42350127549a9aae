using System.Net;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Performance;

/// <summary>
/// The hot path allocates nothing per request once warm. Measured in a separate host process (so no test thread
/// muddies the count) through the allocated-bytes figure of its status channel. Not a timing test: only bytes.
/// </summary>
public sealed class SteadyStateAllocationTests(ITestOutputHelper output)
{
    private const int Connections = 8;
    private const int WarmUpRequestsPerConnection = 5_000;

    // Enough that the few kilobytes a status query and the runtime's timers allocate stay well under a byte per request.
    private const int RequestsPerConnection = 20_000;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ReverseAllocatesNothingPerRequestOnceWarm(string transport)
    {
        var directory = TestPaths.NewTempDirectory();
        var control = Path.Combine(directory, "control.sock");
        await using var host = HostProcess.Start(
        [
            "run", "--Server:Address=127.0.0.1", "--Server:Port=0", $"--Server:Transport={transport}",
            $"--Control:Socket={control}", "--Logic:HotReload=false", "--Serilog:MinimumLevel:Default=Warning",
        ]);
        try
        {
            ServerStatus? status = null;
            await Wait.UntilAsync(async () => (status = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(1))) is not null, because: host.ToString());
            var endPoint = new IPEndPoint(IPAddress.Loopback, status!.Port);

            // The same connections warm up and are measured: what a connection costs once (its state machine, its
            // wrapper) is not a per-request cost, and would otherwise be spread over the measured requests.
            var clients = Enumerable.Range(0, Connections).Select(_ => FrameClient.Connect(endPoint)).ToList();
            await PingPongAsync(clients, WarmUpRequestsPerConnection);

            // The host allocates a little with no traffic at all (timers, the status query itself): a rate per second,
            // measured idle and taken off, so a slow, loaded machine does not turn time into bytes per request.
            var idleStart = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(5));
            var idle = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(3));
            var idleEnd = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(5));
            var idleBytesPerSecond = Math.Max(0, idleEnd!.AllocatedBytes - idleStart!.AllocatedBytes) / idle.Elapsed.TotalSeconds;

            var before = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(5));
            var measured = System.Diagnostics.Stopwatch.StartNew();
            await PingPongAsync(clients, RequestsPerConnection);
            var after = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(5));
            var background = idleBytesPerSecond * measured.Elapsed.TotalSeconds;
            clients.ForEach(c => c.Dispose());

            var requests = after!.Requests - before!.Requests;
            var perRequest = (after.AllocatedBytes - before!.AllocatedBytes - background) / (double)requests;
            Assert.Equal(Connections * RequestsPerConnection, requests);
            // Epoll: nothing at all. Sockets: nothing per request either, but the runtime's socket engine and thread
            // pool allocate a little in the background, a few bytes per request at this test's modest rate; any
            // real per-request object would cost 24 bytes or more.
            var bound = transport == "Epoll" ? 1.0 : 8.0;
            output.WriteLine($"{transport}: {perRequest:F3} bytes allocated per request over {requests} requests in {measured.Elapsed.TotalSeconds:F1} s, after {background:F0} B of idle background ({idleBytesPerSecond:F0} B/s) taken off");
            Assert.True(perRequest < bound, $"{perRequest:F2} bytes allocated per request on {transport}");
        }
        finally
        {
            host.Kill();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Task PingPongAsync(List<FrameClient> clients, int requestsPerConnection) => Task.WhenAll(clients.Select(async client =>
    {
        for (var i = 0; i < requestsPerConnection; i++)
        {
            Assert.Equal("cba", await client.AskAsync("abc"));
        }
    }));
}
