namespace PluggableNet.Client;

/// <summary>How a connection ended, which decides what happens to the requests still waiting on it.</summary>
internal enum ConnectionEnd
{
    /// <summary>
    /// The server closed at a frame boundary (EOF, no partial answer): what a draining or restarting host does once it
    /// has answered everything it read. The requests left were not processed and are resent.
    /// </summary>
    Graceful,

    /// <summary>
    /// Reset, cut in the middle of an answer, a protocol error, a v2 connection closed without GOAWAY or silent after a
    /// PING: requests sent whole may have been processed.
    /// </summary>
    Broken,

    /// <summary>
    /// Protocol v2: the server sent GOAWAY, then the connection ended. The requests above its last id were handed back
    /// when it came (not processed); any left here are at or below it and unanswered, so they may have been processed.
    /// </summary>
    GoneAway,

    /// <summary>Closed by the client itself (disposed, or a stalled connection given up).</summary>
    ClosedByClient,
}
