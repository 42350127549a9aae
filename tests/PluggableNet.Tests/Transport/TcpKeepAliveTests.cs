using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Transport;

/// <summary>
/// <c>Limits:TcpKeepAlive*</c>: read back with <c>getsockopt</c> from the server's own side of an accepted connection
/// (the in-process server's descriptor, found through <c>/proc/net/tcp</c> by the connection's ports).
/// </summary>
public sealed partial class TcpKeepAliveTests
{
    private const int SolSocket = 1;
    private const int SoKeepAlive = 9;
    private const int IpprotoTcp = 6;
    private const int TcpKeepIdle = 4;
    private const int TcpKeepIntvl = 5;
    private const int TcpKeepCnt = 6;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TheConfiguredKeepAliveIsSetOnEveryAcceptedConnection(string transport)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var server = TestServer.Start(transport, ("Limits:TcpKeepAliveTime", "30"), ("Limits:TcpKeepAliveInterval", "7"), ("Limits:TcpKeepAliveCount", "4"));
        using var client = server.Connect();
        Assert.Equal("cba", await client.AskAsync("abc"));

        var fd = ServerSide(server, client);
        Assert.Equal(1, Option(fd, SolSocket, SoKeepAlive));
        Assert.Equal(30, Option(fd, IpprotoTcp, TcpKeepIdle));
        Assert.Equal(7, Option(fd, IpprotoTcp, TcpKeepIntvl));
        Assert.Equal(4, Option(fd, IpprotoTcp, TcpKeepCnt));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APartLeftAt0KeepsTheKernelsValue(string transport)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var server = TestServer.Start(transport, ("Limits:TcpKeepAliveCount", "3"));
        using var client = server.Connect();
        Assert.Equal("cba", await client.AskAsync("abc"));

        var fd = ServerSide(server, client);
        Assert.Equal(1, Option(fd, SolSocket, SoKeepAlive));
        Assert.Equal(3, Option(fd, IpprotoTcp, TcpKeepCnt));
        Assert.Equal(KernelDefault("tcp_keepalive_time"), Option(fd, IpprotoTcp, TcpKeepIdle));
        Assert.Equal(KernelDefault("tcp_keepalive_intvl"), Option(fd, IpprotoTcp, TcpKeepIntvl));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ByDefaultKeepAliveIsOff(string transport)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var server = TestServer.Start(transport);
        using var client = server.Connect();
        Assert.Equal("cba", await client.AskAsync("abc"));

        Assert.Equal(0, Option(ServerSide(server, client), SolSocket, SoKeepAlive));
    }

    /// <summary>The server's descriptor of <paramref name="client"/>'s connection, in this process.</summary>
    private static int ServerSide(TestServer server, FrameClient client)
    {
        var clientPort = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;
        var serverPort = server.EndPoint.Port;

        // /proc/net/tcp: "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode", ports in hex.
        var inode = File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => Port(f[1]) == serverPort && Port(f[2]) == clientPort)
            .Select(f => f[9])
            .Single();
        return Directory.EnumerateFileSystemEntries("/proc/self/fd")
            .Select(path => (Fd: int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture), Target: Link(path)))
            .Single(d => d.Target == $"socket:[{inode}]")
            .Fd;

        static int Port(string address) => int.Parse(address.AsSpan(address.IndexOf(':', StringComparison.Ordinal) + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

        static string? Link(string path)
        {
            try
            {
                return new FileInfo(path).LinkTarget;
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    private static int Option(int fd, int level, int name)
    {
        var length = (uint)sizeof(int);
        Assert.True(getsockopt(fd, level, name, out var value, ref length) == 0, $"getsockopt({level}, {name}) failed: errno {Marshal.GetLastPInvokeError()}");
        return value;
    }

    private static int KernelDefault(string name) =>
        int.Parse(File.ReadAllText($"/proc/sys/net/ipv4/{name}").Trim(), CultureInfo.InvariantCulture);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getsockopt(int sockfd, int level, int optname, out int optval, ref uint optlen);
}
