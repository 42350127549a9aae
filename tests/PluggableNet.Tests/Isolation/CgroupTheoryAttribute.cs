using PluggableNet.Server.Plugins.Isolation;

namespace PluggableNet.Tests.Isolation;

/// <summary>A theory that needs a host able to make memory cgroups (root on a v1 or hybrid machine, or a delegated v2 group).</summary>
public sealed class CgroupTheoryAttribute : TheoryAttribute
{
    public CgroupTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "cgroups are Linux only.";
        }
        else if (WorkerCgroupPlace.Current.Directory is null)
        {
            Skip = "This host can make no memory cgroup: " + string.Join("; ", WorkerCgroupPlace.Current.NotPossible);
        }
    }
}
