namespace PluggableNet;

/// <summary>What a push does to a connection that does not read fast enough: its unsent bytes would pass <c>Limits:MaxPendingWriteBytes</c>.</summary>
public enum SlowConsumerPolicy
{
    /// <summary>The message is dropped for that connection (<see cref="PushResult.Dropped"/>); it stays open.</summary>
    DropMessage = 0,

    /// <summary>The connection is closed (<see cref="PushResult.Closed"/>), as nginx drops a client that cannot keep up.</summary>
    CloseConnection = 1,
}
