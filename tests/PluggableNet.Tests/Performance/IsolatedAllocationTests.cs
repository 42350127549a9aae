using System.Net;
using PluggableNet.Host.Control;
using PluggableNet.Server;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Performance;

/// <summary>
/// A plugin in <c>Isolation Process</c> allocates nothing in the host per request once warm, on either transport and
/// protocol, under pipelined load (docs/isolation.md, "Batching"): the calls, their answer arrays, the connection's
/// wait for its answers and the wake that ends it are all reused. Measured in a separate host process through its
/// status channel's allocated-bytes figure, like <see cref="SteadyStateAllocationTests"/> (the worker's own
/// allocations are its process's, not counted).
/// </summary>
public sealed class IsolatedAllocationTests(ITestOutputHelper output)
{
    private const int Connections = 8;
    private const int Depth = 16;
    private const int WarmUpBursts = 2_000;

    // 8 × 1,500 × 16 = 192,000 requests: the few kilobytes of background a status query costs stay far under a byte each.
    private const int Bursts = 1_500;

    [LinuxTheory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task PipelinedIsolatedRequestsAllocateNothingOnceWarm(string transport, string protocol)
    {
        var directory = TestPaths.NewTempDirectory();
        var control = Path.Combine(directory, "control.sock");
        await using var host = HostProcess.Start(
        [
            "run", "--Server:Address=127.0.0.1", "--Server:Port=0", $"--Server:Transport={transport}",
            $"--Control:Socket={control}", "--Logic:HotReload=false", "--Serilog:MinimumLevel:Default=Warning",
            "--Logic:Plugin=Reverse", "--Plugins:Reverse:Isolation=Process",
        ]);
        var peers = new List<PipelinedPeer>();
        try
        {
            ServerStatus? status = null;
            await Wait.UntilAsync(async () => (status = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(1))) is not null, TimeSpan.FromSeconds(30), host.ToString());
            var endPoint = new IPEndPoint(IPAddress.Loopback, status!.Port);

            // The same connections warm up and are measured: what a connection costs once is not a per-request cost.
            for (var i = 0; i < Connections; i++)
            {
                peers.Add(await PipelinedPeer.OpenAsync(endPoint, protocol, Depth));
            }

            await Task.WhenAll(peers.Select(p => p.RunAsync(WarmUpBursts)));

            // The host's allocations with no traffic (timers, the status query itself), as a rate taken off after.
            var idleStart = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(5));
            var idle = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(2));
            var idleEnd = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(5));
            var idleBytesPerSecond = Math.Max(0, idleEnd!.AllocatedBytes - idleStart!.AllocatedBytes) / idle.Elapsed.TotalSeconds;

            var before = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(5));
            var measured = System.Diagnostics.Stopwatch.StartNew();
            await Task.WhenAll(peers.Select(p => p.RunAsync(Bursts)));
            var after = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(5));
            var background = idleBytesPerSecond * measured.Elapsed.TotalSeconds;

            var requests = after!.Requests - before!.Requests;
            var allocated = after.AllocatedBytes - before.AllocatedBytes;
            var perRequest = (allocated - background) / (double)requests;
            output.WriteLine(
                $"{transport} {protocol} isolated, {Connections} connections × depth {Depth}: {perRequest:F3} B/request over {requests} requests in {measured.Elapsed.TotalSeconds:F1} s ({allocated} B, {background:F0} B idle background taken off)");
            Assert.Equal(Connections * Bursts * Depth, requests);

            // Epoll: nothing. Sockets: nothing per request either, but the runtime's socket engine and thread pool
            // allocate a little in the background (as in SteadyStateAllocationTests); a real per-batch object would
            // cost 24 B / 16 requests = 1.5 B or more, a per-request one 24 B or more.
            var bound = transport == "Epoll" ? 0.5 : 1.0;
            Assert.True(perRequest < bound, $"{perRequest:F2} bytes allocated per isolated request on {transport} {protocol}");
        }
        finally
        {
            peers.ForEach(p => p.Dispose());
            host.Kill();
            Directory.Delete(directory, recursive: true);
        }
    }
}
