using System.Net.Sockets;
using PluggableNet.Host.Control;
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

    /// <summary>
    /// Issue 22, item 5: the limit lowered under a running host (<c>prlimit --pid</c>), then a flood. Before, the host
    /// kept the connection cap it computed at start and died inside the runtime ("Out of memory." from
    /// <c>Thread.StartCallback</c>); now it pauses accepting while only its reserve of descriptors is free.
    /// </summary>
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AHostWhoseLimitIsLoweredWhileItRunsSurvivesKeepsItsClientsAndAcceptsAgain(string transport)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var host = await RunningHost.StartAsync(transport, ["--Server:Backlog=1024"]);
        using var good = host.Connect();
        Assert.Equal("cba", await good.AskAsync("abc"));

        host.SetOpenFilesLimit(OpenFiles, OpenFiles);

        for (var round = 0; round < Rounds; round++)
        {
            var flood = await FloodAsync(host);
            try
            {
                Assert.False(host.Process.HasExited, $"the host died in round {round}: {host.Process.Output}{host.Process.Error}");
                Assert.Equal($"good{round}", await good.AskAsync($"{round}doog"));
                var status = await host.StatusAsync(s => s.Rejections["open_files"] >= 1);
                Assert.Equal(OpenFiles, status.OpenFilesLimit);
                Assert.InRange(status.DescriptorsInUse, 1, OpenFiles);
            }
            finally
            {
                foreach (var socket in flood)
                {
                    socket.Dispose();
                }
            }

            await Wait.UntilAsync(() => ServedAsync(host), TimeSpan.FromSeconds(15), $"a new connection served after round {round}; {host.Process.Output}{host.Process.Error}");
        }

        Assert.False(host.Process.HasExited, $"the host died: {host.Process.Output}{host.Process.Error}");
        Assert.Equal("dne", await good.AskAsync("end"));
        Assert.Contains($"descriptor(s) free of the open files limit {OpenFiles}, 64 kept for the runtime", host.Process.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The limit dropped below what the host already uses, leaving less than half its reserve free: accepting pauses
    /// (new connections wait in the backlog), the connections it has are served, and once enough of them close it
    /// accepts again and serves the one that waited.
    /// </summary>
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AHostWhoseLimitDropsBelowWhatItUsesPausesAcceptingAndResumesAsConnectionsClose(string transport)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var host = await RunningHost.StartAsync(transport, []);
        var held = new List<FrameClient>();
        try
        {
            for (var i = 0; i < 60; i++)
            {
                held.Add(host.Connect());
                Assert.Equal($"{i}", await held[i].AskAsync(new string([.. $"{i}".Reverse()])));
            }

            // 20 free: less than half the reserve of 64.
            var inUse = Directory.GetFileSystemEntries($"/proc/{host.Process.Id}/fd").Length;
            host.SetOpenFilesLimit(inUse + 20, inUse + 20);

            // The drop is seen within 100 ms (the limit is read again at most that often): connections keep coming
            // until one finds accepting paused (the Sockets transport's accept already waiting takes one more).
            await Wait.UntilAsync(
                async () =>
                {
                    held.Add(host.Connect());
                    return (await ControlChannel.QueryAsync(host.ControlSocket, TimeSpan.FromSeconds(1)))?.AcceptPauses >= 1;
                },
                TimeSpan.FromSeconds(20),
                "accepting paused");

            using var waiting = host.Connect();
            await waiting.SendAsync("gnitiaw");

            Assert.Equal("01", await held[10].AskAsync("10"));
            Assert.False(host.Process.HasExited, $"the host died: {host.Process.Output}{host.Process.Error}");

            // 80 free once the 60 close: room again for a connection with the reserve kept.
            held.ForEach(c => c.Dispose());
            Assert.Equal("waiting", await waiting.ReadStringAsync(TimeSpan.FromSeconds(15)));
            await host.Process.WaitForOutputAsync("Accepting again");
            Assert.Contains("Accepting paused", host.Process.Output, StringComparison.Ordinal);
        }
        finally
        {
            held.ForEach(c => c.Dispose());
        }
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
