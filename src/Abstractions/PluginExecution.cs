namespace PluggableNet;

/// <summary>Where the host runs a plugin's request handling.</summary>
public enum PluginExecution
{
    /// <summary>On the reactor thread, through <see cref="ILogicPlugin.Process"/>. Fastest; the logic must never block.</summary>
    Inline = 0,

    /// <summary>On the thread pool, through <see cref="ILogicPlugin.ProcessAsync"/>. For logic that awaits I/O; answers stay in order.</summary>
    Offloaded = 1,
}
