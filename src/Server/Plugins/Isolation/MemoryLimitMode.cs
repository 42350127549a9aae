namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>How a worker's <c>MaxMemoryBytes</c> is enforced: <c>Plugins:&lt;Name&gt;:MemoryLimit</c>.</summary>
internal enum MemoryLimitMode
{
    /// <summary>A cgroup (v2, else v1 memory) when the host can make one, else <c>RLIMIT_AS</c> (default).</summary>
    Auto,

    /// <summary>A cgroup only: the plugin fails to load when no cgroup can be made for its worker.</summary>
    Cgroup,

    /// <summary><c>RLIMIT_AS</c> only, as before cgroups were supported.</summary>
    AddressSpace,
}
