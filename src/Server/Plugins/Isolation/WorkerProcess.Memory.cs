using System.Globalization;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// A worker's memory limit: always the GC heap limit (a managed allocation past it is a clean exit code 3), plus a
/// cgroup (v2, else v1 memory) when one can be made, else <c>RLIMIT_AS</c> (<c>Plugins:&lt;Name&gt;:MemoryLimit</c>).
/// </summary>
internal sealed partial class WorkerProcess
{
    private WorkerMemoryCgroup? _cgroup;
    private bool? _oomKilled;

    /// <summary>How the worker's memory is limited, for the log: "GC heap limit … and cgroup v1 memory.limit_in_bytes in …".</summary>
    public string MemoryLimit { get; private set; } = "none";

    /// <summary>
    /// The GC heap limit: under a cgroup three quarters of it (as .NET sets by itself in a memory-limited container),
    /// so managed allocations meet the GC's limit (exit code 3) before the kernel's OOM killer; the rest is the runtime's.
    /// </summary>
    internal static long GcHeapLimit(long maxMemoryBytes, bool cgroup) => cgroup ? maxMemoryBytes / 4 * 3 : maxMemoryBytes;

    private bool OomKilled => _oomKilled ??= _cgroup?.WasOomKilled() ?? false;

    /// <summary>The place for the worker's cgroup, decided before it is spawned; null for <c>RLIMIT_AS</c>.</summary>
    private static WorkerCgroupPlace? CgroupPlace(WorkerLaunch launch)
    {
        if (launch.Isolation.MaxMemoryBytes <= 0 || launch.Isolation.MemoryLimit == MemoryLimitMode.AddressSpace)
        {
            return null;
        }

        var place = WorkerCgroupPlace.Current;
        place.LogOnce(launch.Logger);
        if (place.Directory is null && launch.Isolation.MemoryLimit == MemoryLimitMode.Cgroup)
        {
            throw new PluginLoadException($"Plugins:{launch.Name}:MemoryLimit is Cgroup, but no cgroup can be made for its worker: {string.Join("; ", place.NotPossible)}");
        }

        return place.Directory is null ? null : place;
    }

    /// <summary>Right after the spawn, before the plugin loads: moves the worker into its cgroup, or settles for <c>RLIMIT_AS</c>.</summary>
    private void ConfineMemory(WorkerLaunch launch, WorkerCgroupPlace? place)
    {
        var max = launch.Isolation.MaxMemoryBytes;
        if (max <= 0)
        {
            return;
        }

        var gc = GcHeapLimit(max, place is not null).ToString(CultureInfo.InvariantCulture);
        var why = launch.Isolation.MemoryLimit == MemoryLimitMode.AddressSpace
            ? $"Plugins:{launch.Name}:MemoryLimit AddressSpace"
            : "no cgroup: " + string.Join("; ", WorkerCgroupPlace.Current.NotPossible);
        if (place is not null)
        {
            _cgroup = WorkerMemoryCgroup.TryCreate(place, Pid, max, out var error);
            if (_cgroup is not null)
            {
                MemoryLimit = $"GC heap limit {gc} bytes and cgroup v{_cgroup.Version} {_cgroup.LimitFile} in {_cgroup.Path}";
                return;
            }

            if (launch.Isolation.MemoryLimit == MemoryLimitMode.Cgroup)
            {
                throw new PluginLoadException($"Plugins:{launch.Name}:MemoryLimit is Cgroup, but worker {Pid}'s cgroup could not be made: {error}");
            }

            _logger.LogWarning("Plugin {Plugin} worker {Pid}: its cgroup could not be made ({Reason}); RLIMIT_AS is used instead", launch.Name, Pid, error);
            why = error;
        }

        MemoryLimit = $"GC heap limit {gc} bytes and RLIMIT_AS; {why}";
    }

    /// <summary>Once the worker is reaped: reads whether the OOM killer ended it, then removes its group.</summary>
    private void ReleaseCgroup()
    {
        _ = OomKilled;
        _cgroup?.Remove();
    }

    /// <summary>" because it went past …" when the cgroup's OOM killer sent the SIGKILL.</summary>
    private string OomCause(int signal) =>
        signal == Libc.SIGKILL && OomKilled ? $" because it went past its memory limit (cgroup v{_cgroup!.Version} OOM kill)" : "";

    /// <summary>
    /// Native memory without a cgroup: <c>RLIMIT_AS</c> on the running worker, its address space now plus the limit (the
    /// GC's heap, reserved at start, is bounded by <c>DOTNET_GCHeapHardLimit</c> instead: address space it already
    /// holds is not counted again when committed).
    /// </summary>
    private void ApplyAddressSpaceLimit(WorkerLaunch launch)
    {
        if (launch.Isolation.MaxMemoryBytes <= 0 || _cgroup is not null)
        {
            return;
        }

        var now = AddressSpace(Pid);
        var limit = new Libc.Rlimit { Current = (ulong)(now + launch.Isolation.MaxMemoryBytes), Maximum = (ulong)(now + launch.Isolation.MaxMemoryBytes) };
        if (now <= 0 || Libc.prlimit(Pid, Libc.RLIMIT_AS, limit, out _) != 0)
        {
            _logger.LogWarning("Plugin {Plugin} worker {Pid}: RLIMIT_AS could not be set ({Reason}); only the GC heap limit applies", launch.Name, Pid, Libc.Describe(Libc.LastError));
        }
    }

    private static long AddressSpace(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmSize:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(7).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
