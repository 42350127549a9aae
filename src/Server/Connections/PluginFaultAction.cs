namespace PluggableNet.Server.Connections;

/// <summary>What the host does with a connection whose request made the plugin throw.</summary>
public enum PluginFaultAction
{
    /// <summary>
    /// Send the answers that were already complete, then close the connection (default). An empty answer
    /// could be mistaken for a valid one; a closed connection cannot.
    /// </summary>
    Close,

    /// <summary>Answer the failed request with an empty frame and keep the connection open.</summary>
    EmptyFrame,
}
