namespace PluggableNet.Client;

/// <summary>Which protocol the client speaks to its hosts (docs/protocol.md).</summary>
public enum ClientProtocol
{
    /// <summary>
    /// Version 1: a length header (<see cref="PluggableNetClientOptions.Framing"/>) then the payload, answers in order.
    /// Every PluggableNet host speaks it.
    /// </summary>
    V1 = 0,

    /// <summary>
    /// Version 2: a preface, then frames with request ids: answers matched by id (out of order), an error code per
    /// request, cancel, heartbeats, and a GOAWAY naming the last request processed. Needs a host that allows it
    /// (<c>Framing:AllowV2</c>); one that does not fails the connect.
    /// </summary>
    V2 = 1,
}
