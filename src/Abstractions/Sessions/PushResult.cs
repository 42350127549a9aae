namespace PluggableNet;

/// <summary>What happened to one push.</summary>
public enum PushResult
{
    /// <summary>Queued for the connection; it goes out as soon as the socket takes it.</summary>
    Queued = 0,

    /// <summary>The connection is too far behind (<see cref="SlowConsumerPolicy.DropMessage"/>): this message is not sent.</summary>
    Dropped = 1,

    /// <summary>The connection is too far behind (<see cref="SlowConsumerPolicy.CloseConnection"/>): it is being closed.</summary>
    Closed = 2,

    /// <summary>No such connection is open (it closed, or the id was never one).</summary>
    Gone = 3,

    /// <summary>Not written: the pushing generation was retired by a swap, the connection cannot take pushes (v1 without stream mode), or the payload is larger than its framing carries.</summary>
    Refused = 4,
}
