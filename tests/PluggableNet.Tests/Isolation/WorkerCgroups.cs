using PluggableNet.Server.Plugins.Isolation;

namespace PluggableNet.Tests.Isolation;

/// <summary>The memory cgroups of workers, as the kernel shows them: to prove where a worker runs and that no group is left.</summary>
internal static class WorkerCgroups
{
    public const long Limit = 64 << 20;

    /// <summary>The group host <paramref name="host"/> makes for worker <paramref name="worker"/> (in this machine's place).</summary>
    public static string Of(int host, int worker) => Path.Combine(WorkerCgroupPlace.Current.Directory!, WorkerCgroupPlace.GroupName(host, worker));

    /// <summary>The limit file of a group: memory.max on cgroup v2, memory.limit_in_bytes on v1.</summary>
    public static string LimitFile => WorkerCgroupPlace.Current.Version == 2 ? "memory.max" : "memory.limit_in_bytes";

    /// <summary>"cgroup v1" or "cgroup v2", as the host's log says it.</summary>
    public static string Name => "cgroup v" + WorkerCgroupPlace.Current.Version;

    /// <summary>Whether /proc/<paramref name="pid"/>/cgroup shows the process in <paramref name="group"/>.</summary>
    public static bool Holds(string group, int pid) =>
        File.ReadAllText($"/proc/{pid}/cgroup").Contains("/" + Path.GetFileName(group) + "\n", StringComparison.Ordinal);

    /// <summary>Groups of host <paramref name="host"/> still on the machine.</summary>
    public static IReadOnlyList<string> LeftBy(int host) =>
        [.. Directory.EnumerateDirectories(WorkerCgroupPlace.Current.Directory!, WorkerCgroupPlace.GroupName(host, 0)[..^1] + "*")];
}
