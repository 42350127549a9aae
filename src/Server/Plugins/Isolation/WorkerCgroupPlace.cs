using System.Globalization;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// Where this host makes its workers' memory cgroups, found once per process: cgroup v2 when the host's cgroup can give
/// children the memory controller, else the cgroup v1 memory hierarchy (hybrid machines), else nowhere (then
/// <c>RLIMIT_AS</c>). Also says why each better choice was not possible, and removes the groups a SIGKILLed host left.
/// </summary>
internal sealed class WorkerCgroupPlace
{
    /// <summary>Test and operator knob: look for cgroup mounts under this directory instead of /proc/self/mountinfo.</summary>
    public const string RootVariable = "PLUGGABLENET_CGROUP_ROOT";

    private const string Prefix = "pluggablenet-";
    private static readonly Lazy<WorkerCgroupPlace> s_current = new(Detect);
    private int _logged;

    private WorkerCgroupPlace(int version, string? directory, IReadOnlyList<string> notPossible, int staleRemoved)
    {
        Version = version;
        Directory = directory;
        NotPossible = notPossible;
        StaleRemoved = staleRemoved;
    }

    /// <summary>This process's place (detected on first use).</summary>
    public static WorkerCgroupPlace Current => s_current.Value;

    /// <summary>2 or 1; 0 when no cgroup can be made.</summary>
    public int Version { get; }

    /// <summary>The directory the workers' groups are made in; null when none can be.</summary>
    public string? Directory { get; }

    /// <summary>Why each better mechanism was not possible, in the order they were tried.</summary>
    public IReadOnlyList<string> NotPossible { get; }

    /// <summary>Groups of dead hosts removed when this place was found.</summary>
    public int StaleRemoved { get; }

    /// <summary>The name of worker <paramref name="workerPid"/>'s group: both pids, so a dead host's groups are recognised.</summary>
    public static string GroupName(int hostPid, int workerPid) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{hostPid}-{workerPid}");

    /// <summary>Logs the choice once per process: which mechanism, why not the better ones, stale groups removed.</summary>
    public void LogOnce(ILogger logger)
    {
        if (Interlocked.Exchange(ref _logged, 1) != 0)
        {
            return;
        }

        var why = NotPossible.Count == 0 ? "" : " (" + string.Join("; ", NotPossible) + ")";
        if (Directory is null)
        {
            logger.LogWarning("Worker memory limits: no cgroup can be made, RLIMIT_AS is used{Why}", why);
            return;
        }

        logger.LogInformation("Worker memory limits: cgroup v{Version} groups in {Directory}{Why}; {Stale} left by dead hosts removed", Version, Directory, why, StaleRemoved);
    }

    private static WorkerCgroupPlace Detect()
    {
        var root = Environment.GetEnvironmentVariable(RootVariable);
        IReadOnlyList<CgroupFiles.Mount> mounts;
        string[] membership;
        try
        {
            mounts = string.IsNullOrEmpty(root) ? [.. File.ReadLines("/proc/self/mountinfo").Select(CgroupFiles.ParseMount).OfType<CgroupFiles.Mount>()] : Layout(root);
            membership = File.ReadAllLines("/proc/self/cgroup");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return new WorkerCgroupPlace(0, null, [$"reading /proc/self failed: {exception.Message}"], 0);
        }

        var where = string.IsNullOrEmpty(root) ? "/proc/self/mountinfo" : $"{root} ({RootVariable})";
        var notPossible = new List<string>();
        var v2 = TryV2(mounts, membership, where, notPossible);
        var version = v2 is null ? 1 : 2;
        var directory = v2 ?? TryV1(mounts, membership, where, notPossible);
        if (directory is null)
        {
            return new WorkerCgroupPlace(0, null, notPossible, 0);
        }

        return new WorkerCgroupPlace(version, directory, notPossible, RemoveStale(directory));
    }

    /// <summary>The override's layout is /sys/fs/cgroup's: a cgroup2 root itself or at unified/, v1 memory at memory/.</summary>
    private static CgroupFiles.Mount[] Layout(string root)
    {
        var mounts = new List<CgroupFiles.Mount>();
        foreach (var v2 in new[] { root, Path.Combine(root, "unified") })
        {
            if (File.Exists(Path.Combine(v2, "cgroup.controllers")))
            {
                mounts.Add(new CgroupFiles.Mount("/", v2, IsV2: true, []));
            }
        }

        if (File.Exists(Path.Combine(root, "memory", "memory.limit_in_bytes")))
        {
            mounts.Add(new CgroupFiles.Mount("/", Path.Combine(root, "memory"), IsV2: false, ["memory"]));
        }

        return [.. mounts];
    }

    private static string? TryV2(IReadOnlyList<CgroupFiles.Mount> mounts, string[] membership, string where, List<string> notPossible)
    {
        var path = membership.Select(line => CgroupFiles.ParseMembership(line, controller: null)).FirstOrDefault(p => p is not null);
        var mount = path is null ? null : mounts.Where(m => m.IsV2).Select(m => (CgroupFiles.Mount?)m).FirstOrDefault(m => CgroupFiles.Directory(m!.Value, path) is not null);
        if (path is null || mount is null)
        {
            notPossible.Add(path is null ? "cgroup v2: /proc/self/cgroup has no 0:: line" : $"cgroup v2: no cgroup2 mount in {where} shows this process's cgroup {path}");
            return null;
        }

        var own = CgroupFiles.Directory(mount.Value, path)!;
        var controllers = Read(Path.Combine(own, "cgroup.controllers"));
        if (controllers is null || !CgroupFiles.ListHas(controllers, "memory"))
        {
            notPossible.Add($"cgroup v2: the memory controller is not available in {own} (cgroup.controllers: '{controllers?.Trim()}'; on a hybrid machine it is bound to cgroup v1)");
            return null;
        }

        // Children of the host's own group: possible when it may hand memory down (v2's no-internal-processes rule
        // forbids that to a non-root group holding processes, as the host's does).
        var subtree = Path.Combine(own, "cgroup.subtree_control");
        if (CgroupFiles.ListHas(Read(subtree) ?? "", "memory") || TryWrite(subtree, "+memory", out var error))
        {
            return Probe(own, "memory.max", "cgroup v2", notPossible);
        }

        // Siblings, as under systemd's Delegate=yes with the host in a leaf of its own: the parent hands memory down.
        var parent = own == mount.Value.MountPoint ? null : Path.GetDirectoryName(own);
        if (parent is not null && CgroupFiles.ListHas(Read(Path.Combine(parent, "cgroup.subtree_control")) ?? "", "memory"))
        {
            notPossible.Add($"cgroup v2 children of {own}: enabling memory in its cgroup.subtree_control failed ({error}), as it holds the host's process");
            return Probe(parent, "memory.max", "cgroup v2 siblings", notPossible);
        }

        notPossible.Add($"cgroup v2: enabling memory in {subtree} failed ({error}): the host's group holds processes (v2's no-internal-processes rule); run the host in a delegated leaf group (systemd Delegate=yes)");
        return null;
    }

    private static string? TryV1(IReadOnlyList<CgroupFiles.Mount> mounts, string[] membership, string where, List<string> notPossible)
    {
        var path = membership.Select(line => CgroupFiles.ParseMembership(line, "memory")).FirstOrDefault(p => p is not null);
        var mount = path is null ? null : mounts.Where(m => !m.IsV2 && m.Options.Contains("memory")).Select(m => (CgroupFiles.Mount?)m).FirstOrDefault(m => CgroupFiles.Directory(m!.Value, path) is not null);
        if (path is null || mount is null)
        {
            notPossible.Add($"cgroup v1: no memory hierarchy in {where}");
            return null;
        }

        return Probe(CgroupFiles.Directory(mount.Value, path)!, "memory.limit_in_bytes", "cgroup v1", notPossible);
    }

    /// <summary>Makes and removes a group in <paramref name="directory"/>: the host may create them there, and they have <paramref name="limitFile"/>.</summary>
    private static string? Probe(string directory, string limitFile, string what, List<string> notPossible)
    {
        var probe = Path.Combine(directory, GroupName(Environment.ProcessId, 0));
        try
        {
            System.IO.Directory.CreateDirectory(probe);
            var usable = File.Exists(Path.Combine(probe, limitFile));
            System.IO.Directory.Delete(probe);
            if (usable)
            {
                return directory;
            }

            notPossible.Add($"{what}: a group made in {directory} has no {limitFile}");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            notPossible.Add($"{what}: making a group in {directory} failed ({exception.Message})");
        }

        return null;
    }

    /// <summary>Removes the empty groups of hosts no longer alive (a SIGKILLed host runs no cleanup).</summary>
    private static int RemoveStale(string directory)
    {
        var removed = 0;
        foreach (var group in System.IO.Directory.EnumerateDirectories(directory, Prefix + "*"))
        {
            var pids = Path.GetFileName(group)[Prefix.Length..].Split('-');
            if (pids.Length != 2 || !int.TryParse(pids[0], NumberStyles.None, CultureInfo.InvariantCulture, out var host) || host == Environment.ProcessId
                || System.IO.Directory.Exists($"/proc/{host}") || !string.IsNullOrWhiteSpace(Read(Path.Combine(group, "cgroup.procs"))))
            {
                continue;
            }

            try
            {
                System.IO.Directory.Delete(group);
                removed++;
            }
            catch (IOException)
            {
                // Still busy: the next start tries again.
            }
        }

        return removed;
    }

    internal static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>One write of <paramref name="text"/> to a control file that must exist (cgroup files take one value per write).</summary>
    internal static bool TryWrite(string path, string text, out string error)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            stream.Write(System.Text.Encoding.ASCII.GetBytes(text));
            error = "";
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error = exception.Message;
            return false;
        }
    }
}
