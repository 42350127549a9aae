namespace PluggableNet.Server.Sessions;

/// <summary>The connection behind a <see cref="Session"/>, as a push sees it: something to wake on its own thread.</summary>
internal interface IPushTarget
{
    /// <summary>Any thread: the connection drains its pushes (and acts on a close request) on its next turn.</summary>
    void WakeForPushes();

    /// <summary>
    /// Any thread, for a session with nothing queued: the connection takes the push at once when this thread is the
    /// connection's own and is between the connection's events (an epoll reactor broadcasting to the members it
    /// serves), and frames it when that pass sends, as the C baseline appends to each member's buffer. Saves the queue,
    /// the wake and the drain per member; <see cref="ImmediatePush.Unavailable"/> everywhere else.
    /// </summary>
    /// <param name="payload">The push; its holder is kept when taken (released once framed, or by a spliced output).</param>
    /// <param name="frameBytes">The push with its frame header.</param>
    /// <param name="maxPendingBytes">The connection's <c>Limits:MaxPendingWriteBytes</c>.</param>
    ImmediatePush TryTakeNow(SharedPayload payload, int frameBytes, int maxPendingBytes);
}
