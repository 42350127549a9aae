namespace PluggableNet;

/// <summary>The wire protocol of a session (docs/protocol.md).</summary>
public enum SessionProtocol
{
    /// <summary>v1: length-prefixed frames, answers in request order.</summary>
    V1 = 1,

    /// <summary>v2: typed frames with request ids, PUSH, GOAWAY, PING.</summary>
    V2 = 2,
}
