namespace PluggableNet.Server.Diagnostics;

/// <summary>Which limit a timed-out connection ran out of; the <c>pluggablenet.timeout.kind</c> tag.</summary>
internal enum TimeoutKind
{
    /// <summary><c>Limits:ReadTimeout</c>: a started frame did not complete.</summary>
    Read,

    /// <summary><c>Limits:MinReceiveRate</c>: a frame's payload trickled in too slowly.</summary>
    ReceiveRate,

    /// <summary><c>Limits:WriteTimeout</c>: the peer read none of its answers.</summary>
    Write,

    /// <summary><c>Limits:IdleTimeout</c>: no request for too long.</summary>
    Idle,

    /// <summary><c>Limits:ProcessTimeout</c>: an offloaded request ran too long.</summary>
    Process,

    /// <summary><c>Limits:PingTimeout</c>: a v2 peer did not answer the host's PING; closed as half-open.</summary>
    Ping,
}
