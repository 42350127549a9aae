namespace PluggableNet.Server.Connections;

/// <summary>
/// Where a connection is in nbNet's state machine:
/// Accept → ReadHeader → ReadBody → Process → Write → ReadHeader …, or Closing.
/// </summary>
internal enum ConnectionState
{
    /// <summary>Accepted, nothing read yet.</summary>
    Accept,

    /// <summary>Waiting for (the rest of) a frame header.</summary>
    ReadHeader,

    /// <summary>The header is known; waiting for the rest of the payload.</summary>
    ReadBody,

    /// <summary>A request is with the plugin (inline, or offloaded and not yet complete).</summary>
    Process,

    /// <summary>Answers are waiting to be sent.</summary>
    Write,

    /// <summary>Closing: flushing what may still be flushed, then closed.</summary>
    Closing,
}
