namespace PluggableNet.Client;

/// <summary>How a connection ended, which decides what happens to the requests still waiting on it.</summary>
internal enum ConnectionEnd
{
    /// <summary>
    /// The server closed at a frame boundary (EOF, no partial answer): what a draining or restarting host does once it
    /// has answered everything it read. The requests left were not processed and are resent.
    /// </summary>
    Graceful,

    /// <summary>Reset, cut in the middle of an answer, or a protocol error: requests sent whole may have been processed.</summary>
    Broken,

    /// <summary>Closed by the client itself (disposed, or a stalled connection given up).</summary>
    ClosedByClient,
}
