using System.Net;
using System.Net.Sockets;
using PluggableNet.Bench.Driver;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Tests;

[Collection(ProcessWideMeasurements.Name)]
public sealed class KestrelBaselineTests
{
    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AnswersReversedFrames_InOrder_AndReportsStatus()
    {
        using var server = await KestrelBaselineProcess.StartAsync(_bound);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port)).WaitAsync(_bound);

        // Two pipelined frames, the second split across two sends, must come back reversed and in order.
        await client.SendAsync("00005abcde000"u8.ToArray()).WaitAsync(_bound);
        await client.SendAsync("03xyz"u8.ToArray()).WaitAsync(_bound);
        var expected = "00005edcba00003zyx"u8.ToArray();
        var answer = new byte[expected.Length];
        var received = 0;
        while (received < answer.Length)
        {
            var read = await client.ReceiveAsync(answer.AsMemory(received)).AsTask().WaitAsync(_bound);
            Assert.True(read > 0, "the baseline closed the connection");
            received += read;
        }

        Assert.Equal(expected, answer);

        var status = ControlClient.TryQuery(server.ControlSocket, TimeSpan.FromSeconds(5));
        Assert.NotNull(status);
        Assert.Equal(server.Pid, status.Pid);
        Assert.Equal(2, status.Requests);
        Assert.Equal(1, status.Connections);
        Assert.True(status.AllocatedBytes > 0);
        Assert.Equal("Reverse", status.Plugin);
    }

    [Fact]
    public async Task InvalidZeroLengthFrame_ClosesTheConnection()
    {
        using var server = await KestrelBaselineProcess.StartAsync(_bound);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port)).WaitAsync(_bound);

        await client.SendAsync("00000"u8.ToArray()).WaitAsync(_bound);
        var read = await client.ReceiveAsync(new byte[16].AsMemory()).AsTask().WaitAsync(_bound);

        Assert.Equal(0, read);
    }

    [Fact]
    public async Task ShortLoadRun_HasNoErrors()
    {
        using var server = await KestrelBaselineProcess.StartAsync(_bound);
        var options = new LoadOptions
        {
            Port = server.Port,
            Connections = 4,
            Depth = 4,
            PayloadBytes = 64,
            Duration = TimeSpan.FromSeconds(1),
            Warmup = TimeSpan.FromSeconds(1),
        };

        var probe = new AllocationProbe();

        var result = await new LoadRunner(options).RunAsync(probe).WaitAsync(_bound);

        Assert.Equal(0, result.Errors);
        Assert.True(result.Requests > 0, "no request was answered in the measured window: " + result.ToJson());

        // The load generator must not be the bottleneck: no allocation per request once running. Whatever the rate, the
        // test process allocates a fixed amount in the window (a few KB before; about 750 KB since 2026-12-04, the same
        // at 35,000 and at 130,000 requests, so not per request: not yet traced to its allocator), so that is a fixed
        // allowance: on a busy machine fewer requests fit in the second, and a per-request bound alone would blame the
        // generator. A real per-request object (24 B or more) still exceeds the bound from 45,000 requests on, which a
        // quiet run passes three times over.
        const long backgroundAllowance = 1024 * 1024;
        var perRequest = probe.AllocatedBytes / (double)result.Requests;
        Assert.True(
            probe.AllocatedBytes < backgroundAllowance + result.Requests,
            $"LoadGen allocated {probe.AllocatedBytes} B for {result.Requests} requests ({perRequest:F2} B/request)");
    }
}
