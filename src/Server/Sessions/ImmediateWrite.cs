namespace PluggableNet.Server.Sessions;

/// <summary>What <see cref="IPushTarget.TryWriteNow"/> did with a push.</summary>
internal enum ImmediateWrite
{
    /// <summary>Not on the connection's own pass, or not between its events: the push goes through the session's queue.</summary>
    Unavailable,

    /// <summary>Framed into the connection's output; its pass sends it before the thread waits again.</summary>
    Written,

    /// <summary>The connection's unsent output leaves no room for it under <c>Limits:MaxPendingWriteBytes</c>.</summary>
    OverLimit,
}
