namespace PluggableNet.Server.Connections;

/// <summary>Which protocol a connection speaks: decided by its first bytes (docs/protocol.md, "Negotiation").</summary>
internal enum WireProtocol : byte
{
    /// <summary>Fewer bytes than it takes to tell have arrived, and they match the v2 preface so far.</summary>
    Undecided,

    /// <summary>nbNet's framing: a length header and a payload, answers in order.</summary>
    V1,

    /// <summary>Frames with a type and a request id (docs/protocol.md, "Version 2").</summary>
    V2,
}
