namespace PluggableNet.Server;

/// <summary>The server <c>AddPluggableNet</c> added to a host, for the application to inspect once the host has started.</summary>
public interface IPluggableNetServer
{
    /// <summary>The running server; null until the host has started it.</summary>
    PluggableServer? Server { get; }
}
