namespace PluggableNet.LoadGen;

/// <summary>The protocol the load generator speaks (docs/protocol.md).</summary>
public enum WireVersion
{
    /// <summary>Length-prefixed frames (the <see cref="LoadOptions.Framing"/>), answers in request order.</summary>
    V1 = 1,

    /// <summary>
    /// The client's preface <c>PNET/2\r\n</c>, the server's preface and SETTINGS, then REQUEST frames with strictly
    /// increasing ids; ANSWERs are matched by id, never by position.
    /// </summary>
    V2 = 2,
}
