namespace PluggableNet.Server.Connections;

/// <summary>Why a connection was closed. Carried to the log so every close has a stated cause.</summary>
internal enum CloseReason
{
    /// <summary>Still open.</summary>
    None,

    /// <summary>The peer closed its side (EOF); all complete requests were answered first.</summary>
    RemoteClosed,

    /// <summary>The peer reset the connection, or the socket reported an error (EPOLLERR, ECONNRESET, EPIPE).</summary>
    RemoteReset,

    /// <summary>A malformed header: not all digits, a length of 0, or a length above <c>Framing:MaxFrameBytes</c>.</summary>
    ProtocolError,

    /// <summary>A started frame did not complete within <c>Limits:ReadTimeout</c> (slowloris).</summary>
    ReadTimeout,

    /// <summary>A frame's payload arrived slower than <c>Limits:MinReceiveRate</c> after its grace period (a trickle).</summary>
    ReceiveTooSlow,

    /// <summary>Answers were waiting and the peer read none of them within <c>Limits:WriteTimeout</c>.</summary>
    WriteTimeout,

    /// <summary>No request within <c>Limits:IdleTimeout</c>.</summary>
    IdleTimeout,

    /// <summary>An offloaded request did not complete within <c>Limits:ProcessTimeout</c>.</summary>
    ProcessTimeout,

    /// <summary>The plugin threw while handling a request.</summary>
    PluginFault,

    /// <summary>The plugin's answer is longer than the framing can express.</summary>
    AnswerTooLarge,

    /// <summary>Accepted beyond <c>Limits:MaxConnections</c> and closed at once.</summary>
    Rejected,

    /// <summary>The server is shutting down.</summary>
    Shutdown,

    /// <summary>
    /// The host's own failure, not the peer's: a bug caught at the transport's boundary, or a system call on the
    /// connection's descriptor that can only fail through us (epoll_ctl, EBADF, EFAULT, EINVAL, ENOTSOCK). Logged at Error.
    /// </summary>
    InternalError,

    /// <summary>A v2 peer did not answer the host's PING within <c>Limits:PingTimeout</c>: a half-open connection.</summary>
    PingTimeout,

    /// <summary>A session plugin closed the connection (<see cref="ISession.Close"/>): gracefully, with GOAWAY on v2.</summary>
    ClosedByPlugin,

    /// <summary>A push found the connection too far behind, and the plugin's policy is to close it: cut at once.</summary>
    SlowConsumer,

    /// <summary>
    /// Not a close: a v2 connection has something due (a PING to send or wait for, a request past
    /// <c>Limits:ProcessTimeout</c>, a drain or an idle timeout to announce with GOAWAY). The transport wakes the
    /// connection (<see cref="FrameConnection.OnWake"/>), which acts on its own thread. Never a connection's
    /// <see cref="FrameConnection.CloseReason"/>; the last value, so the published deadline word's 5 bits hold it.
    /// </summary>
    TimerDue,
}
