namespace PluggableNet;

/// <summary>How the host serves a session plugin's connections (<see cref="ISessionPlugin.Sessions"/>).</summary>
public sealed class SessionOptions
{
    /// <summary>No pushes, request/answer on v1, drop on a slow consumer.</summary>
    public static SessionOptions Default { get; } = new();

    /// <summary>
    /// Whether the plugin pushes (<see cref="ISession.Push"/>, <see cref="ISessionRegistry.Broadcast"/>). A plugin that
    /// pushes must also set <see cref="V1StreamMode"/>: a v1 client pairs every frame it receives with a request, so it
    /// can only take pushes on a stream it knows is one. The host refuses to load a plugin that pushes without it.
    /// </summary>
    public bool Pushes { get; init; }

    /// <summary>
    /// v1 connections are two-way streams: pushes are frames among the answers, and an empty answer sends nothing, so
    /// no request→answer pairing is promised. v2 connections are unaffected: pushes are PUSH frames.
    /// </summary>
    public bool V1StreamMode { get; init; }

    /// <summary>What a push does to a connection whose unsent bytes would pass <c>Limits:MaxPendingWriteBytes</c>.</summary>
    public SlowConsumerPolicy SlowConsumer { get; init; } = SlowConsumerPolicy.DropMessage;
}
