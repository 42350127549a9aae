namespace PluggableNet.Testing;

/// <summary>
/// A disposed plugin's load context was not collected; the message names what usually keeps one alive and, when a
/// heap snapshot could be taken, the chain from a GC root to the plugin (<see cref="RootPath"/>).
/// </summary>
public sealed class PluginUnloadException : Exception
{
    /// <summary>A failure described by <paramref name="message"/> alone.</summary>
    public PluginUnloadException(string message)
        : base(message)
    {
    }

    /// <summary>A failure described by <paramref name="message"/>, with the root-path report it includes.</summary>
    public PluginUnloadException(string message, string? rootPath)
        : base(message)
    {
        RootPath = rootPath;
    }

    /// <summary>
    /// The root-path report (also in <see cref="Exception.Message"/>): the root's kind (static field by declaring type
    /// and name, GC handle and its kind, thread stack by managed thread, finalizer queue) and each object on the way
    /// to the plugin, with the fields followed; or why there is none. Null when the report was not made.
    /// </summary>
    public string? RootPath { get; }
}
