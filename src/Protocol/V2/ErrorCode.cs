namespace PluggableNet.Protocol.V2;

/// <summary>Why a request failed (an ERROR frame) or why the server goes away (a GOAWAY frame). Stable numbers.</summary>
public enum ErrorCode : ushort
{
    /// <summary>GOAWAY only: a graceful close (drain, idle timeout, restart).</summary>
    NoError = 0,

    /// <summary>The peer broke the protocol (a decreasing or duplicate id, a malformed control frame).</summary>
    ProtocolError = 1,

    /// <summary>The plugin threw while processing this request.</summary>
    PluginFault = 2,

    /// <summary>The plugin took longer than <c>Limits:ProcessTimeout</c>.</summary>
    ProcessTimeout = 3,

    /// <summary>The plugin's answer exceeded what a frame may carry.</summary>
    AnswerTooLarge = 4,

    /// <summary>The server is stopping and did not process this request.</summary>
    ShuttingDown = 5,

    /// <summary>More requests in flight on this connection than the server's <c>MaxConcurrentRequests</c>.</summary>
    Overloaded = 6,

    /// <summary>A frame announced more than the server's <c>MaxFrameBytes</c>.</summary>
    FrameTooLarge = 7,

    /// <summary>The server failed for a reason of its own; the request may or may not have been processed.</summary>
    InternalError = 8,

    /// <summary>GOAWAY only: the peer did not answer a PING within <c>Limits:PingTimeout</c>.</summary>
    PingTimeout = 9,

    /// <summary>The plugin's worker process ended (crashed, killed, over a limit) before answering, or is not running; the request may or may not have been processed.</summary>
    PluginUnavailable = 10,
}
