using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// A host whose open-files limit is smaller than the connections thrown at it (<c>prlimit --nofile=N:N</c>, so raising
/// the soft limit cannot escape it): it stays alive, a client connected before keeps its answers, and once the
/// flood is gone new connections are served again.
/// </summary>
public sealed class DescriptorExhaustionTests
{
    private const int OpenFiles = 400;
    private const int FloodConnections = 600;
    private const int Rounds = 2;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AHostOutOfDescriptorsSurvivesKeepsItsClientsAndRecovers(string transport)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var host = await RunningHost.StartAsync(transport, ["--Server:Backlog=1024"], (OpenFiles, OpenFiles));
        using var good = host.Connect();
        Assert.Equal("cba", await good.AskAsync("abc"));

        for (var round = 0; round < Rounds; round++)
        {
            var flood = await FloodAsync(host);
            try
            {
                Assert.False(host.Process.HasExited, $"the host died in round {round}: {host.Process.Output}{host.Process.Error}");
                Assert.Equal($"good{round}", await good.AskAsync($"{round}doog"));
            }
            finally
            {
                foreach (var socket in flood)
                {
                    socket.Dispose();
                }
            }

            // Recovered: a new connection is served again once the flood has gone.
            await Wait.UntilAsync(() => ServedAsync(host), TimeSpan.FromSeconds(15), $"a new connection served after round {round}; {host.Process.Output}{host.Process.Error}");
        }

        Assert.False(host.Process.HasExited, $"the host died: {host.Process.Output}{host.Process.Error}");
        Assert.Equal("dne", await good.AskAsync("end"));
        Assert.Contains($"Open files limit {OpenFiles} (hard {OpenFiles})", host.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheHostRaisesItsSoftOpenFilesLimitToTheHardLimitAndLogsIt()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var host = await RunningHost.StartAsync("Epoll", [], (256, OpenFiles));

        Assert.Contains($"Open files limit {OpenFiles} (hard {OpenFiles})", host.Process.Output, StringComparison.Ordinal);
        var limits = await File.ReadAllLinesAsync($"/proc/{host.Process.Id}/limits");
        Assert.Matches($@"^Max open files\s+{OpenFiles}\s+{OpenFiles}\s", limits.Single(l => l.StartsWith("Max open files", StringComparison.Ordinal)));
    }

    /// <summary>Opens up to <see cref="FloodConnections"/> connections that each send a request and never read.</summary>
    private static async Task<List<Socket>> FloodAsync(RunningHost host)
    {
        var sockets = new List<Socket>(FloodConnections);
        var frame = System.Text.Encoding.ASCII.GetBytes("00005flood");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        for (var i = 0; i < FloodConnections && DateTime.UtcNow < deadline && !host.Process.HasExited; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await socket.ConnectAsync(host.EndPoint, timeout.Token);
                await socket.SendAsync(frame, SocketFlags.None, timeout.Token);
                sockets.Add(socket);
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException)
            {
                // Refused, reset or left in a full backlog: the host decides, the flood goes on.
                socket.Dispose();
            }
        }

        return sockets;
    }

    private static async Task<bool> ServedAsync(RunningHost host)
    {
        try
        {
            using var client = host.Connect();
            await client.SendAsync("ping");
            return await client.ReadStringAsync(TimeSpan.FromSeconds(1)) == "gnip";
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or EndOfStreamException or IOException)
        {
            return false;
        }
    }
}
