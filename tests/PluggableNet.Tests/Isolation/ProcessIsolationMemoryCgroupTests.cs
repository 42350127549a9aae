using PluggableNet.Protocol.V2;
using PluggableNet.Server.Plugins.Isolation;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Isolation;

/// <summary>
/// Issue 24, point 4's memory limit through a cgroup: native memory (which the GC heap limit cannot see) past
/// <c>MaxMemoryBytes</c> is killed by the kernel's OOM killer in the worker's own group, a crash like the others (v2
/// ERROR PLUGIN_UNAVAILABLE, v1 closed, restarted); the group exists with the limit while its worker runs and is gone
/// once the worker is reaped (crash, swap, host stop). <c>MemoryLimit AddressSpace</c> keeps RLIMIT_AS (the allocation fails: exit code 3).
/// </summary>
public sealed class ProcessIsolationMemoryCgroupTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(30);

    [CgroupTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task NativeMemoryPastTheLimitIsAnOomKillOfTheWorkersCgroup(string transport)
    {
        var server = TestServer.Start(transport, Settings("Auto"));
        var workers = new List<int>();
        try
        {
            var plugin = Assert.IsType<IsolatedPlugin>(server.Server.Plugins.Current.Plugin);
            var first = plugin.WorkerPid;
            workers.Add(first);
            var group = WorkerCgroups.Of(Environment.ProcessId, first);
            Assert.True(Directory.Exists(group), group);
            Assert.True(WorkerCgroups.Holds(group, first), File.ReadAllText($"/proc/{first}/cgroup"));
            Assert.Equal(WorkerCgroups.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(group, WorkerCgroups.LimitFile)).Trim());
            Assert.True(server.Log.Contains($"and {WorkerCgroups.Name} {WorkerCgroups.LimitFile} in {group}"), string.Join(Environment.NewLine, server.Log.Messages()));

            using var idleV1 = server.Connect();
            Assert.Equal("a", await idleV1.AskAsync("a"));
            using var idleV2 = await V2Connection.OpenAsync(server.EndPoint);
            Assert.Equal("b", await idleV2.AskAsync(1, "b"));

            // v2: the request in flight is told; the group goes with its worker.
            using var v2 = await V2Connection.OpenAsync(server.EndPoint);
            await v2.RequestAsync(1, "NativeOutOfMemory");
            var (error, _) = await v2.ReadUntilAsync(FrameType.Error, s_long);
            Assert.Equal((1u, ErrorCode.PluginUnavailable), (error.Id, error.Error.Code));
            Assert.Contains("because it went past its memory limit", error.Error.Text, StringComparison.Ordinal);
            await Wait.UntilAsync(() => plugin.Restarts == 1 && plugin.WorkerPid != 0, s_long, "the worker restarts");
            workers.Add(plugin.WorkerPid);
            Assert.False(Directory.Exists(group), $"{group} is removed once its worker is reaped");
            Assert.True(
                server.Log.Contains($"worker process {first} was killed by signal 9 (SIGKILL) because it went past its memory limit ({WorkerCgroups.Name} OOM kill) ({group})"),
                string.Join(Environment.NewLine, server.Log.Messages()));
            Assert.True(Directory.Exists(WorkerCgroups.Of(Environment.ProcessId, plugin.WorkerPid)), "the restarted worker has a group of its own");
            Assert.Equal("after", await v2.AskAsync(3, "after"));

            // v1: a connection with a request in flight is closed.
            using (var v1 = server.Connect())
            {
                await v1.SendAsync("NativeOutOfMemory");
                Assert.True(await v1.WaitForCloseAsync(s_long), "the v1 connection with the request in flight is closed");
            }

            await Wait.UntilAsync(() => plugin.Restarts == 2 && plugin.WorkerPid != 0, s_long, "the worker restarts again");
            workers.Add(plugin.WorkerPid);
            Assert.Equal("c", await idleV1.AskAsync("c"));
            Assert.Equal("d", await idleV2.AskAsync(3, "d"));
            Assert.True(server.Server.IsReady);

            // A swap retires the worker: its group goes with it, the next worker has its own.
            var retired = plugin.WorkerPid;
            var swapped = await server.Server.ReloadAsync("test");
            Assert.True(swapped.Succeeded, swapped.Error);
            var next = Assert.IsType<IsolatedPlugin>(server.Server.Plugins.Current.Plugin).WorkerPid;
            workers.Add(next);
            Assert.False(Directory.Exists(WorkerCgroups.Of(Environment.ProcessId, retired)), "the retired worker's group is removed");
            Assert.True(Directory.Exists(WorkerCgroups.Of(Environment.ProcessId, next)), "the new generation's worker has a group");
        }
        finally
        {
            await server.DisposeAsync();
        }

        // Host stop: the last worker's group goes too; none of this host's workers left one.
        Assert.All(workers, w => Assert.False(Directory.Exists(WorkerCgroups.Of(Environment.ProcessId, w)), $"worker {w}'s group is gone"));
    }

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AddressSpaceKeepsRlimitAs(string transport)
    {
        await using var server = TestServer.Start(transport, Settings("AddressSpace"));
        var plugin = Assert.IsType<IsolatedPlugin>(server.Server.Plugins.Current.Plugin);
        var first = plugin.WorkerPid;
        Assert.True(server.Log.Contains("and RLIMIT_AS; Plugins:Crash:MemoryLimit AddressSpace"), string.Join(Environment.NewLine, server.Log.Messages()));
        Assert.DoesNotContain("pluggablenet-", File.ReadAllText($"/proc/{first}/cgroup"), StringComparison.Ordinal);

        // The address space runs out: the allocation throws, the worker exits cleanly as out of its memory limit.
        using var v2 = await V2Connection.OpenAsync(server.EndPoint);
        await v2.RequestAsync(1, "NativeOutOfMemory");
        var (error, _) = await v2.ReadUntilAsync(FrameType.Error, s_long);
        Assert.Equal((1u, ErrorCode.PluginUnavailable), (error.Id, error.Error.Code));
        await Wait.UntilAsync(() => plugin.Restarts == 1 && plugin.WorkerPid != 0, s_long, "the worker restarts");
        Assert.True(server.Log.Contains($"worker process {first} exited with code 3 (out of its memory limit)"), string.Join(Environment.NewLine, server.Log.Messages()));

        using var v1 = server.Connect();
        await v1.SendAsync("NativeOutOfMemory");
        Assert.True(await v1.WaitForCloseAsync(s_long), "the v1 connection with the request in flight is closed");
        await Wait.UntilAsync(() => plugin.Restarts == 2 && plugin.WorkerPid != 0, s_long, "the worker restarts again");
    }

    private static (string Key, string Value)[] Settings(string memoryLimit) =>
    [
        ("Logic:PluginsPath", IsolationPlugins.CrashFolder),
        ("Logic:Plugin", "Crash"),
        ("Plugins:Crash:Isolation", "Process"),
        ("Plugins:Crash:MaxRestarts", "3"),
        ("Plugins:Crash:RestartWindow", "120"),
        ("Plugins:Crash:MaxMemoryBytes", WorkerCgroups.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Plugins:Crash:MemoryLimit", memoryLimit),
    ];
}
