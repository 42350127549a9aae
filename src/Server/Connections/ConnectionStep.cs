namespace PluggableNet.Server.Connections;

/// <summary>
/// What a transport does next for a connection, computed by <see cref="FrameConnection.Step"/>. <see cref="Read"/>
/// and <see cref="Write"/> may be asked together (answers are pending while more requests may still be read);
/// <see cref="Close"/> always comes alone.
/// </summary>
[Flags]
internal enum ConnectionStep
{
    /// <summary>Nothing: never returned by a connection, only a starting value.</summary>
    None = 0,

    /// <summary>Receive into <see cref="FrameConnection.GetReceiveSpan"/>; otherwise reading is paused (backpressure).</summary>
    Read = 1,

    /// <summary>Send <see cref="FrameConnection.PendingOutput"/>.</summary>
    Write = 2,

    /// <summary>An offloaded request is running: call <see cref="FrameConnection.CompleteOffload"/> when its task ends.</summary>
    AwaitOffload = 4,

    /// <summary>
    /// A complete request waits for a free offload slot: register with <see cref="OffloadGate.WaitForSlot"/> and call
    /// <see cref="FrameConnection.RetryOffloadSlot"/> once signalled.
    /// </summary>
    AwaitSlot = 8,

    /// <summary>Close the socket now: everything that should be sent is sent, or the connection is aborted.</summary>
    Close = 16,

    /// <summary>
    /// v2: nothing to read or send while offloaded calls run; the connection's <see cref="FrameConnection.Waker"/> is
    /// called when one completes, and the transport then calls <see cref="FrameConnection.OnWake"/>.
    /// </summary>
    AwaitWake = 32,

    /// <summary>
    /// Stop serving the connection without closing its socket, and hand it over (<see cref="FrameConnection.Detach"/>):
    /// a detach batch is open and the connection is between requests. Always comes alone.
    /// </summary>
    Detach = 64,
}
