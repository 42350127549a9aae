namespace PluggableNet.Host.Upgrade;

/// <summary>
/// The messages of the hand-over protocol (docs/upgrade.md), in the order they normally travel. Each is one frame:
/// a 4-byte big-endian length, this kind, the payload; descriptors ride on the frame with <c>SCM_RIGHTS</c>.
/// </summary>
internal enum HandOverKind : byte
{
    /// <summary>New → old, first: the protocol version, the new host's pid and build.</summary>
    Hello = 1,

    /// <summary>Old → new: the version is ours; the old host's pid and build follow.</summary>
    Welcome = 2,

    /// <summary>Either way: the other side will not go on; a reason in words. The channel closes after it.</summary>
    Refused = 3,

    /// <summary>New → old: configuration read, plugins loaded, telemetry open; send the listening sockets.</summary>
    ListenersWanted = 4,

    /// <summary>Old → new: every endpoint's listening socket (one descriptor each) and the counters' totals.</summary>
    Listeners = 5,

    /// <summary>New → old: accepting on every socket received. The old host stops accepting.</summary>
    Serving = 6,

    /// <summary>Old → new: stopped accepting, pidfile and control socket let go; the new host takes them.</summary>
    Released = 7,

    /// <summary>Old → new: one connection between requests (endpoint name + snapshot; the descriptor rides along), for <see cref="IConnectionHandOver"/>.</summary>
    Connection = 8,

    /// <summary>New → old: the connection of the last <see cref="Connection"/> message serves on here (or not, with a reason).</summary>
    ConnectionAdopted = 9,

    /// <summary>Old → new: no more connections follow; the old host drains what it kept and exits.</summary>
    Done = 10,

    /// <summary>Old → new, per endpoint before its first <see cref="Connection"/>: the session plugin's shared state (endpoint name + state).</summary>
    SessionState = 11,
}
