using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Fleet;

/// <summary>
/// The HAProxy recipe's upgrade in place (deploy/haproxy/rolling-update.sh --in-place): a real HAProxy running the
/// shipped haproxy.cfg in front of one real host, which the shipped script upgrades to another build with the real
/// <c>upgrade</c> verb while clients keep a pipelined load on HAProxy. The server never leaves rotation, no request
/// fails and no client connection closes: HAProxy's connections to the host move to the new host with the rest.
/// </summary>
[Collection(FleetCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UpgradeInPlaceBehindHaproxyTests(ITestOutputHelper output)
{
    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnUpgradeInPlaceBehindHaproxyFailsNoRequestAndClosesNoClientConnection(string transport)
    {
        await using var host = await UpgradedHost.StartAsync(transport);
        var before = await host.ServingAsync(_ => true);
        await using var haproxy = await HaproxyProcess.StartAsync([("host1", host.EndPoint.Port)]);
        var upper = host.Build("build-upper", "PLUGGABLENET_Logic__Plugin=Upper");
        await using var load = ReconnectingLoad.Start(haproxy.EndPoint, connections: 16, depth: 4, (request, answer) => answer == Reverse(request) || answer == request.ToUpperInvariant());
        await load.AnswersGrowAsync(500);

        var update = $"'{ChildProcess.Dotnet}' '{TestPaths.HostDll}' upgrade --Control:Socket='{host.First.ControlSocket}' --binary '{upper}' --timeout 30";
        await using (var script = ChildProcess.Start("bash", [HaproxyProcess.RollingUpdateScript, "--socket", haproxy.Socket, "--backend", HaproxyProcess.Backend, "--in-place", "--update", update, "--ready-timeout", "30", "host1"]))
        {
            var exitCode = await script.WaitForExitAsync(TimeSpan.FromSeconds(90));
            output.WriteLine(script.Output + script.Error);
            Assert.True(exitCode == 0, script.Output + script.Error);
            Assert.Contains("host1: upgraded in place", script.Output, StringComparison.Ordinal);
            Assert.Contains("never out of rotation", script.Output, StringComparison.Ordinal);
        }

        var after = await host.ServingAsync(s => s.Pid != before.Pid);
        Assert.Equal(0, (await host.First.Process.WaitAsync(TimeSpan.FromSeconds(20))).ExitCode);
        await load.AnswersGrowAsync(500);
        await load.StopAsync();
        output.WriteLine($"{transport}: pid {before.Pid} -> {after.Pid}; {load}");

        Assert.True(load.Refused == 0 && load.Failed == 0 && load.Wrong == 0, load.ToString());
        Assert.True(load.GracefulCloses == 0, $"client connections closed: {load}");
        using (var client = FrameClient.Connect(haproxy.EndPoint))
        {
            Assert.Equal("ABC", await client.AskAsync("abc"));
        }

        Assert.True((await haproxy.ServersAsync())["host1"].InRotation);
    }

    private static string Reverse(string text) => new([.. text.Reverse()]);
}
