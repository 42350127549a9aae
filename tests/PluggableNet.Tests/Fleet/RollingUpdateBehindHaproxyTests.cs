using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Fleet;

/// <summary>
/// Three real hosts behind a real HAProxy running the shipped haproxy.cfg, rolled over with the shipped
/// rolling-update.sh while clients of the client library keep a continuous pipelined load on HAProxy; every answer
/// is checked.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class RollingUpdateBehindHaproxyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ARollingPluginUpdateFailsNoRequestAndEndsWithV2Everywhere()
    {
        await using var fleet = await HostFleet.StartAsync();
        await using var load = ClientLoad.Start(fleet.Haproxy.EndPoint, callers: 16, HostFleet.Version);
        await load.AnswersGrowAsync(300);

        var (exitCode, script) = await fleet.RollAsync(fleet.PluginUpdateCommand);
        output.WriteLine(script);
        Assert.True(exitCode == 0, script);
        await load.AnswersGrowAsync(300);
        await load.StopAsync();
        output.WriteLine($"plugin v1 -> v2: {load}");

        Assert.Empty(load.Failures);
        Assert.Equal(0, load.Wrong);
        Assert.True(load.ByVersion.GetValueOrDefault("v1") > 0 && load.ByVersion.GetValueOrDefault("v2") > 0, load.ToString());
        Assert.All(await fleet.AskEachAsync("end"), answer => Assert.Equal("B:end", answer));
        await using (var after = ClientLoad.Start(fleet.Haproxy.EndPoint, callers: 4, HostFleet.Version))
        {
            await after.AnswersGrowAsync(200);
            await after.StopAsync();
            Assert.True(after.ByVersion.Keys.SequenceEqual(["v2"]) && after.Failures.Count == 0, after.ToString());
        }

        await fleet.Haproxy.WaitUntilAsync(s => s.Values.All(v => v.InRotation), TimeSpan.FromSeconds(10), "every server up and in rotation");
    }

    [Fact]
    public async Task ARollingHostRestartFailsNoRequest()
    {
        await using var fleet = await HostFleet.StartAsync();
        await using var load = ClientLoad.Start(fleet.Haproxy.EndPoint, callers: 16, HostFleet.Version);
        await load.AnswersGrowAsync(300);

        var (exitCode, script) = await fleet.RollAsync(fleet.RestartCommand);
        output.WriteLine(script);
        Assert.True(exitCode == 0, script);
        await load.AnswersGrowAsync(300);
        await load.StopAsync();
        output.WriteLine($"rolling restart: {load}");

        Assert.Empty(load.Failures);
        Assert.Equal(0, load.Wrong);
        Assert.All(fleet.Hosts, host => Assert.Equal(2, host.Starts));
        Assert.All(fleet.Hosts, host => Assert.Equal([0], host.Exits));
        await fleet.Haproxy.WaitUntilAsync(s => s.Values.All(v => v.InRotation), TimeSpan.FromSeconds(10), "every server up and in rotation");
    }

    [Fact]
    public async Task AFailedUpdateStopsTheRollAndLeavesThatServerOutOfRotation()
    {
        await using var fleet = await HostFleet.StartAsync();
        var (exitCode, script) = await fleet.RollAsync("[ {server} != host2 ]");
        output.WriteLine(script);

        Assert.Equal(1, exitCode);
        Assert.Contains("host2: update command failed (exit 1); left in maintenance", script, StringComparison.Ordinal);
        Assert.Contains("host1: back in rotation", script, StringComparison.Ordinal);
        Assert.DoesNotContain("host3: draining", script, StringComparison.Ordinal);
        var servers = await fleet.Haproxy.ServersAsync();
        Assert.True(servers["host1"].InRotation, servers["host1"].ToString());
        Assert.True((servers["host2"].AdminState & 1) == 1 && servers["host2"].Status == "MAINT", servers["host2"].ToString());
        Assert.True(servers["host3"].InRotation, servers["host3"].ToString());
    }
}

/// <summary>The fleet tests run one at a time: each starts three hosts and HAProxy on a small shared machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FleetCollection
{
    public const string Name = "Fleet";
}
