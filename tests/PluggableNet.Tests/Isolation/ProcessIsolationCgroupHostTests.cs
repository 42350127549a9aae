using System.Globalization;
using System.Text.RegularExpressions;
using PluggableNet.Server.Plugins.Isolation;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Isolation;

/// <summary>
/// The worker memory cgroups as an operator meets them, in real host processes: a SIGKILLed host's groups are removed
/// at the next start; where no cgroup can be made (the cgroup root pointed at an empty folder), <c>MemoryLimit
/// Cgroup</c> fails the start naming the key and <c>Auto</c> settles for RLIMIT_AS, saying why.
/// </summary>
public sealed partial class ProcessIsolationCgroupHostTests
{
    [CgroupTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ASigkilledHostsGroupsAreRemovedAtTheNextStart(string transport)
    {
        string stale;
        await using (var killed = await RunningHost.StartAsync(transport, Arguments("Auto")))
        {
            var worker = WorkerOf(killed.Process.Output);
            stale = WorkerCgroups.Of(killed.Process.Id, worker);
            Assert.True(Directory.Exists(stale), $"{stale}; {killed.Process.Output}");
            Assert.True(WorkerCgroups.Holds(stale, worker));
            killed.Process.Kill();
            await killed.Process.WaitAsync();
            await Wait.UntilAsync(() => !WorkerProcesses.IsAlive(worker), TimeSpan.FromSeconds(10), $"worker {worker} ends with its host");
        }

        Assert.True(Directory.Exists(stale), $"a SIGKILLed host ran no cleanup: {stale} is still there");

        await using var next = await RunningHost.StartAsync(transport, Arguments("Auto"));
        Assert.False(Directory.Exists(stale), $"the next host removes {stale}; {next.Process.Output}");
        Assert.Matches(@"left by dead hosts removed", next.Process.Output);

        // A host stopped as an operator does leaves no group of its own.
        Assert.NotEmpty(WorkerCgroups.LeftBy(next.Process.Id));
        await next.SignalAsync(RunningHost.Sigterm);
        Assert.Equal(0, (await next.Process.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode);
        Assert.Empty(WorkerCgroups.LeftBy(next.Process.Id));
    }

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task CgroupModeFailsTheStartWhereNoCgroupCanBeMade(string transport)
    {
        var empty = TestPaths.NewTempDirectory("pnet-nocgroup");
        try
        {
            await using var host = HostProcess.Start(
                ["--Server:Address=127.0.0.1", "--Server:Port=0", $"--Server:Transport={transport}", "--Logic:HotReload=false", $"--Control:Socket={Path.Combine(empty, "control.sock")}", .. Arguments("Cgroup")],
                new Dictionary<string, string> { [WorkerCgroupPlace.RootVariable] = empty });
            var result = await host.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("Plugins:Crash:MemoryLimit is Cgroup, but no cgroup can be made for its worker", result.All, StringComparison.Ordinal);
            Assert.Contains($"{empty} ({WorkerCgroupPlace.RootVariable})", result.All, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AutoSettlesForRlimitAsWhereNoCgroupCanBeMadeAndSaysWhy(string transport)
    {
        var empty = TestPaths.NewTempDirectory("pnet-nocgroup");
        try
        {
            await using var host = await RunningHost.StartAsync(transport, Arguments("Auto"), environment: new Dictionary<string, string> { [WorkerCgroupPlace.RootVariable] = empty });
            Assert.Contains("and RLIMIT_AS; no cgroup: cgroup v2: no cgroup2 mount in " + empty, host.Process.Output, StringComparison.Ordinal);
            Assert.Contains("cgroup v1: no memory hierarchy in " + empty, host.Process.Output, StringComparison.Ordinal);
            using var client = host.Connect();
            Assert.Equal("ok", await client.AskAsync("ok"));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    private static string[] Arguments(string memoryLimit) =>
    [
        $"--Logic:PluginsPath={IsolationPlugins.CrashFolder}",
        "--Logic:Plugin=Crash",
        "--Plugins:Crash:Isolation=Process",
        "--Plugins:Crash:MaxMemoryBytes=" + WorkerCgroups.Limit.ToString(CultureInfo.InvariantCulture),
        "--Plugins:Crash:MemoryLimit=" + memoryLimit,
    ];

    private static int WorkerOf(string output)
    {
        var match = WorkerLine().Match(output);
        Assert.True(match.Success, output);
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"runs in worker process (\d+)")]
    private static partial Regex WorkerLine();
}
