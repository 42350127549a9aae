namespace PluggableNet.Server.Sessions;

/// <summary>The connection behind a <see cref="Session"/>, as a push sees it: something to wake on its own thread.</summary>
internal interface IPushTarget
{
    /// <summary>Any thread: the connection drains its pushes (and acts on a close request) on its next turn.</summary>
    void WakeForPushes();
}
