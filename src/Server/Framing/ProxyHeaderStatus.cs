namespace PluggableNet.Server.Framing;

/// <summary>The outcome of reading a PROXY protocol header.</summary>
internal enum ProxyHeaderStatus
{
    /// <summary>Not enough bytes yet; nothing is wrong so far.</summary>
    Incomplete,

    /// <summary>A whole, valid header.</summary>
    Valid,

    /// <summary>Not a PROXY header, or a malformed one: the connection is closed with the reason.</summary>
    Invalid,
}
