namespace PluggableNet.Server.Sessions;

/// <summary>What <see cref="IPushTarget.TryTakeNow"/> did with a push.</summary>
internal enum ImmediatePush
{
    /// <summary>Not on the connection's own pass, or not between its events: the push goes through the session's queue.</summary>
    Unavailable,

    /// <summary>Held by the connection; its pass frames and sends it before the thread waits again.</summary>
    Taken,

    /// <summary>The connection's unsent output leaves no room for it under <c>Limits:MaxPendingWriteBytes</c>.</summary>
    OverLimit,
}
