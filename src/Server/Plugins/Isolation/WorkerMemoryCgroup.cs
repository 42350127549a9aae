using System.Globalization;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// One worker's memory cgroup: made right after the worker is spawned (before it loads its plugin), limited to
/// <c>MaxMemoryBytes</c> with no swap, asked after the worker's death whether the kernel's OOM killer ended it, and
/// removed once the worker is reaped.
/// </summary>
internal sealed class WorkerMemoryCgroup
{
    private int _removed;

    private WorkerMemoryCgroup(int version, string path)
    {
        Version = version;
        Path = path;
    }

    /// <summary>2 or 1.</summary>
    public int Version { get; }

    /// <summary>The group's directory.</summary>
    public string Path { get; }

    /// <summary>The file that holds the limit: memory.max on v2, memory.limit_in_bytes on v1.</summary>
    public string LimitFile => Version == 2 ? "memory.max" : "memory.limit_in_bytes";

    /// <summary>
    /// Makes worker <paramref name="workerPid"/>'s group in <paramref name="place"/> with <paramref name="limit"/> and moves
    /// the worker into it; null with <paramref name="error"/> (and nothing left behind) when any step fails.
    /// </summary>
    public static WorkerMemoryCgroup? TryCreate(WorkerCgroupPlace place, int workerPid, long limit, out string error)
    {
        var group = new WorkerMemoryCgroup(place.Version, System.IO.Path.Combine(place.Directory!, WorkerCgroupPlace.GroupName(Environment.ProcessId, workerPid)));
        try
        {
            Directory.CreateDirectory(group.Path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error = $"making {group.Path} failed: {exception.Message}";
            return null;
        }

        var bytes = limit.ToString(CultureInfo.InvariantCulture);
        // No swap: past the limit the worker is killed, not slowed down by paging (memsw must not be below the limit, so it goes second).
        var swap = group.Version == 2 ? ("memory.swap.max", "0") : ("memory.memsw.limit_in_bytes", bytes);
        if (!group.TryWrite(group.LimitFile, bytes, out error)
            || (File.Exists(System.IO.Path.Combine(group.Path, swap.Item1)) && !group.TryWrite(swap.Item1, swap.Item2, out error))
            || !group.TryWrite("cgroup.procs", workerPid.ToString(CultureInfo.InvariantCulture), out error))
        {
            group.Remove();
            return null;
        }

        return group;
    }

    /// <summary>Whether the kernel's OOM killer killed a process of the group (read before <see cref="Remove"/>).</summary>
    public bool WasOomKilled()
    {
        if (Version == 2)
        {
            return CgroupFiles.KeyedValue(WorkerCgroupPlace.Read(System.IO.Path.Combine(Path, "memory.events")) ?? "", "oom_kill") > 0;
        }

        // memory.oom_control has oom_kill since Linux 4.13; before, failcnt says the limit was hit.
        var control = WorkerCgroupPlace.Read(System.IO.Path.Combine(Path, "memory.oom_control")) ?? "";
        return control.Contains("oom_kill ", StringComparison.Ordinal)
            ? CgroupFiles.KeyedValue(control, "oom_kill") > 0
            : long.TryParse(WorkerCgroupPlace.Read(System.IO.Path.Combine(Path, "memory.failcnt"))?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var hits) && hits > 0;
    }

    /// <summary>Removes the group (once): its worker must be reaped. A group still busy is left for the next start's sweep.</summary>
    public void Remove()
    {
        if (Interlocked.Exchange(ref _removed, 1) != 0)
        {
            return;
        }

        // The kernel may take a moment to let go of the last task after the reap.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                Directory.Delete(Path);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(10);
            }
        }
    }

    private bool TryWrite(string file, string value, out string error)
    {
        if (WorkerCgroupPlace.TryWrite(System.IO.Path.Combine(Path, file), value, out error))
        {
            return true;
        }

        error = $"writing {value} to {System.IO.Path.Combine(Path, file)} failed: {error}";
        return false;
    }
}
