namespace PluggableNet.Server.Connections;

/// <summary>A connection as a transport holds it: its state machine, and what only the transport can see.</summary>
internal interface ITransportConnection
{
    FrameConnection Machine { get; }

    /// <summary>
    /// Whether a request may be on its way in that the state machine has not seen yet: bytes waiting in the kernel,
    /// or a receive completed and not handed over. A drain does not close such a connection. Asked only then, so it
    /// may cost a system call.
    /// </summary>
    bool RequestMayBeInFlight { get; }
}
