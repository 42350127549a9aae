using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Hardening;

[Collection(ProcessWideMeasurements.Name)]
public sealed class DescriptorLeakTests(ITestOutputHelper output)
{
    private const int Connections = 10_000;
    private const int Batch = 100;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TenThousandConnectsAndDisconnectsLeakNoDescriptorsOrMemory(string transport)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var server = TestServer.Start(transport, ("Limits:IdleTimeout", "5"));
        using (var warmup = server.Connect())
        {
            Assert.Equal("mraw", await warmup.AskAsync("warm"));
        }

        await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == 0, because: "the warm-up connection to close");
        var descriptorsBefore = SocketHelpers.OpenDescriptors();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var deadline = DateTime.UtcNow.AddSeconds(20);

        for (var start = 0; start < Connections && DateTime.UtcNow < deadline; start += Batch)
        {
            await Task.WhenAll(Enumerable.Range(start, Batch).Select(i => ConnectAndLeaveAsync(server, i)));
        }

        Assert.True(DateTime.UtcNow < deadline, "10,000 connections took too long");
        await Wait.UntilAsync(
            () => server.Server.Metrics.AcceptedConnections > Connections && server.Server.Metrics.OpenConnections == 0,
            TimeSpan.FromSeconds(10),
            "every connection to be accepted and released");
        var descriptorsAfter = SocketHelpers.OpenDescriptors();
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{transport}: descriptors {descriptorsBefore} → {descriptorsAfter}; managed heap {memoryBefore / 1024} KiB → {memoryAfter / 1024} KiB; accepted {server.Server.Metrics.AcceptedConnections}");

        Assert.InRange(descriptorsAfter, 0, descriptorsBefore + 8);

        // The captured Debug log alone keeps ~2 KiB per connection; a leaked receive or send buffer would be 16 KiB or more.
        Assert.True(memoryAfter - memoryBefore < 64L * 1024 * 1024, $"managed heap grew by {(memoryAfter - memoryBefore) / 1024} KiB");
    }

    /// <summary>Every fourth sends a request first; odd ones leave with an RST, even ones with a FIN.</summary>
    private static async Task ConnectAndLeaveAsync(TestServer server, int i)
    {
        var socket = await SocketHelpers.ConnectAsync(server.EndPoint);
        try
        {
            if (i % 4 == 0)
            {
                await socket.SendAsync(Frames.Ascii("ping").AsMemory(), SocketFlags.None);
            }
        }
        finally
        {
            if (i % 2 == 1)
            {
                SocketHelpers.Reset(socket);
            }
            else
            {
                socket.Dispose();
            }
        }
    }
}
