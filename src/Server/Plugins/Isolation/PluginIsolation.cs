namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>Where a plugin's code runs: <c>Plugins:&lt;Name&gt;:Isolation</c>.</summary>
internal enum PluginIsolation
{
    /// <summary>In the host's process, in a collectible load context (default): fastest, but a crash of the plugin is the host's.</summary>
    InProcess,

    /// <summary>In a worker process of its own, one per generation: a crash ends the worker, never the host.</summary>
    Process,
}
