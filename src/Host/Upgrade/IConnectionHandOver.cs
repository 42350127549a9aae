using PluggableNet.Server;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// How established connections cross the hand-over channel once the new host serves and the old one let go
/// (docs/upgrade.md, step 7): per endpoint the session plugin's shared state first, then each connection between
/// requests, its descriptor over <c>SCM_RIGHTS</c> and its snapshot beside it, each answered before the next.
/// </summary>
internal interface IConnectionHandOver
{
    /// <summary>
    /// Old host, after <see cref="HandOverKind.Released"/>: sends every connection that is or becomes between requests
    /// within <c>Server:UpgradeTimeout</c>, then <see cref="HandOverKind.Done"/>. Never throws: a broken channel ends the
    /// moves, and what has not left stays to drain with this host.
    /// </summary>
    Task<ConnectionMoves> SendAsync(HandOverChannel channel, IReadOnlyList<PluggableServer> servers);

    /// <summary>New host: adopts what <see cref="SendAsync"/> sends until <see cref="HandOverKind.Done"/> or the channel closes.</summary>
    void Receive(HandOverChannel channel, IReadOnlyList<PluggableServer> servers);
}

/// <summary>What the old host's side moved: connections adopted there, refused there (closed), and left here to drain.</summary>
internal readonly record struct ConnectionMoves(int Moved, int Refused, long LeftBehind, bool ChannelBroke)
{
    public override string ToString() =>
        $"{Moved} connection(s) moved, {LeftBehind} stay to drain{(Refused > 0 ? $", {Refused} refused by the new host (closed)" : string.Empty)}{(ChannelBroke ? ", the channel broke (the rest stay here)" : string.Empty)}";
}
