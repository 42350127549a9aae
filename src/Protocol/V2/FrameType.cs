namespace PluggableNet.Protocol.V2;

/// <summary>The type byte of a v2 frame (docs/protocol.md, "Version 2"). A receiver skips types it does not know.</summary>
public enum FrameType : byte
{
    /// <summary>Client → server: a request; the id is the client's, strictly increasing on the connection.</summary>
    Request = 1,

    /// <summary>Server → client: the answer to the request with the same id.</summary>
    Answer = 2,

    /// <summary>Server → client: the request with this id failed; payload <see cref="ErrorPayload"/>.</summary>
    Error = 3,

    /// <summary>Client → server: the request with this id is no longer wanted; empty payload.</summary>
    Cancel = 4,

    /// <summary>Either side: answer with <see cref="Pong"/> carrying the same payload; id 0.</summary>
    Ping = 5,

    /// <summary>Either side: the answer to a <see cref="Ping"/>, echoing its payload; id 0.</summary>
    Pong = 6,

    /// <summary>Server → client: no request above the named id will be processed; payload <see cref="GoAwayPayload"/>; id 0.</summary>
    GoAway = 7,

    /// <summary>Server → client: a message nobody asked for (sessions); id 0.</summary>
    Push = 8,

    /// <summary>Server → client, right after its preface: the connection's limits; payload <see cref="Settings"/>; id 0.</summary>
    Settings = 9,
}
