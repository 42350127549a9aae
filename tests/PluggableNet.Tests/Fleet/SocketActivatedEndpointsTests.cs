using System.Net;
using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Fleet;

/// <summary>
/// Several sockets from systemd, one per endpoint, matched by name: <c>systemd-socket-activate</c> (systemd's own
/// launcher, the same environment contract as a .socket unit's <c>FileDescriptorName=</c>) binds two ports and passes
/// them as fds 3 and 4 with <c>LISTEN_FDNAMES</c>; each endpoint serves the socket of its name, the connection that
/// activated the host included. A name that matches no endpoint, or an endpoint left without a socket, stops the start.
/// </summary>
public sealed class SocketActivatedEndpointsTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task EachEndpointServesTheInheritedSocketOfItsName(string transport)
    {
        // The names and their order are the shipped example's (deploy/endpoints): the units the service's Sockets= lists.
        var names = ShippedSocketNames();
        Assert.Equal(["Public", "Admin"], names);
        var (publicPort, adminPort) = (SupervisedHost.FreePort(), SupervisedHost.FreePort());
        await using var process = Start([publicPort, adminPort], string.Join(':', names), transport);
        await process.WaitForOutputAsync($"Listening on 127.0.0.1:{adminPort}", Wait.Default);

        // The first connection activates the host; it waits in the kernel's queue until the host accepts it.
        using var first = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, publicPort));
        Assert.Equal("cba", await first.AskAsync("abc"));
        using var admin = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, adminPort));
        Assert.Equal("ABC", await admin.AskAsync("abc"));

        // Waited for, not read at once: the host writes the lines before it serves, but the test reads its output on
        // another thread, which may not have caught up with the answers (CI saw that once).
        await process.WaitForOutputAsync($"Serving on the inherited listening socket fd 3 (127.0.0.1:{publicPort}, socket activation) for endpoint Public", Wait.Default);
        await process.WaitForOutputAsync($"Serving on the inherited listening socket fd 4 (127.0.0.1:{adminPort}, socket activation) for endpoint Admin", Wait.Default);
    }

    [Fact]
    public async Task ASocketNamedAfterNoEndpointIsRefusedNamingIt()
    {
        var (publicPort, otherPort) = (SupervisedHost.FreePort(), SupervisedHost.FreePort());
        var output = await RefusedAsync([publicPort, otherPort], "Public:Nope");

        Assert.Contains($"Cannot start: LISTEN_FDNAMES: fd 4 (127.0.0.1:{otherPort}) is named Nope, which is no endpoint's name (endpoints: Admin, Public); set FileDescriptorName= in its .socket unit to the endpoint's name", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEndpointWithoutASocketOfItsNameIsRefused()
    {
        var output = await RefusedAsync([SupervisedHost.FreePort()], "Public");

        Assert.Contains("Cannot start: Endpoints:Admin: no inherited socket is named Admin (LISTEN_FDNAMES=Public); under socket activation every endpoint needs its own socket unit with FileDescriptorName=Admin", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoUnnamedSocketsForTheFlatKeysAreRefused()
    {
        var ports = new[] { SupervisedHost.FreePort(), SupervisedHost.FreePort() };
        await using var process = ChildProcess.Start(
            "systemd-socket-activate",
            [.. ports.SelectMany(p => new[] { "-l", $"127.0.0.1:{p}" }), .. PassedEnvironment(), ChildProcess.Dotnet, TestPaths.HostDll, "run", "--Server:Port=0", "--Logic:HotReload=false"],
            workingDirectory: TestPaths.HostOutput);
        var output = await ActivateAndWaitForExitAsync(process, ports[0]);

        Assert.Contains($"Cannot start: LISTEN_FDNAMES: fd 3 (127.0.0.1:{ports[0]}) has no name; with several sockets or endpoints each socket is named after its endpoint", output, StringComparison.Ordinal);
    }

    /// <summary>FileDescriptorName= of each socket unit in the order deploy/endpoints/endpoints.conf's Sockets= lists them.</summary>
    private static List<string> ShippedSocketNames()
    {
        var folder = Path.Combine(TestPaths.RepoRoot, "deploy", "endpoints");
        var sockets = File.ReadAllLines(Path.Combine(folder, "endpoints.conf")).Single(l => l.StartsWith("Sockets=", StringComparison.Ordinal))["Sockets=".Length..];
        return [.. sockets.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(unit =>
            File.ReadAllLines(Path.Combine(folder, unit)).Single(l => l.StartsWith("FileDescriptorName=", StringComparison.Ordinal))["FileDescriptorName=".Length..])];
    }

    private static async Task<string> RefusedAsync(int[] ports, string names)
    {
        await using var process = Start(ports, names, "Sockets");
        return await ActivateAndWaitForExitAsync(process, ports[0]);
    }

    private static async Task<string> ActivateAndWaitForExitAsync(ChildProcess process, int port)
    {
        await process.WaitForOutputAsync($"Listening on 127.0.0.1:{port}", Wait.Default);
        using (var trigger = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await trigger.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        }

        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(25));
        Assert.True(exit == 2, $"exit {exit}: {process.Output}{process.Error}");
        return process.Output + process.Error;
    }

    /// <summary>systemd-socket-activate with one socket per port, named <paramref name="names"/>, and a host with endpoints Public (Reverse) and Admin (Upper).</summary>
    private static ChildProcess Start(int[] ports, string names, string transport) => ChildProcess.Start(
        "systemd-socket-activate",
        [
            .. ports.SelectMany(p => new[] { "-l", $"127.0.0.1:{p}" }), $"--fdname={names}", .. PassedEnvironment(),
            ChildProcess.Dotnet, TestPaths.HostDll, "run", $"--Server:Transport={transport}", "--Logic:HotReload=false",
            $"--Logic:PluginsPath={TestPaths.BundledPlugins}",
            "--Endpoints:Public:Server:Port=0", "--Endpoints:Public:Logic:Plugin=Reverse",
            "--Endpoints:Admin:Server:Port=0", "--Endpoints:Admin:Logic:Plugin=Upper",
        ],
        workingDirectory: TestPaths.HostOutput);

    // systemd-socket-activate passes only PATH, HOME, USER and TERM to its child; the runtime's own variables go with -E.
    private static IEnumerable<string> PassedEnvironment() =>
        Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal))
            .SelectMany(k => new[] { "-E", k });
}
