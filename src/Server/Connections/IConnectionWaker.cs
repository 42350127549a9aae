namespace PluggableNet.Server.Connections;

/// <summary>
/// How a v2 connection asks its transport for a turn on the connection's own thread: an offloaded call completed, or a
/// timer is due. The transport then calls <see cref="FrameConnection.OnWake"/>.
/// </summary>
internal interface IConnectionWaker
{
    /// <summary>Any thread, any number of times: the transport runs <see cref="FrameConnection.OnWake"/> at least once after it.</summary>
    void Wake();

    /// <summary>
    /// True on the thread that serves this connection, while it runs a pass over its events (an epoll reactor): output
    /// written now is sent by <see cref="SendAfterPass"/> before the thread waits again. False on every other thread,
    /// and always on a transport without such passes.
    /// </summary>
    bool OnOwnPass { get; }

    /// <summary>Only while <see cref="OnOwnPass"/>: the connection's new output is sent when this pass's events are handled.</summary>
    void SendAfterPass();
}
