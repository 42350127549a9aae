namespace PluggableNet.Server.Connections;

/// <summary>
/// How a v2 connection asks its transport for a turn on the connection's own thread: an offloaded call completed, or a
/// timer is due. The transport then calls <see cref="FrameConnection.OnWake"/>.
/// </summary>
internal interface IConnectionWaker
{
    /// <summary>Any thread, any number of times: the transport runs <see cref="FrameConnection.OnWake"/> at least once after it.</summary>
    void Wake();
}
