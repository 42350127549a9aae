namespace PluggableNet;

/// <summary>Why a session ended (<see cref="ISessionPlugin.OnClosed"/>).</summary>
public enum SessionCloseReason
{
    /// <summary>The client closed its side, or reset the connection.</summary>
    ClientClosed = 0,

    /// <summary>A timeout of the host's: idle, read, write, process, or no PONG.</summary>
    Timeout = 1,

    /// <summary>The client broke the protocol.</summary>
    ProtocolError = 2,

    /// <summary>The plugin threw, or its answer was too large.</summary>
    PluginFault = 3,

    /// <summary>The plugin called <see cref="ISession.Close"/>.</summary>
    ClosedByPlugin = 4,

    /// <summary>A push found the connection too far behind under <see cref="SlowConsumerPolicy.CloseConnection"/>.</summary>
    SlowConsumer = 5,

    /// <summary>The host is shutting down.</summary>
    Shutdown = 6,

    /// <summary>The host's own failure.</summary>
    InternalError = 7,
}
