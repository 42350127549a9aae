namespace PluggableNet.Server.Connections.Handover;

/// <summary>
/// A connection's session as it leaves: what its plugin's <c>ExportState</c> wrote, the version that wrote it (the
/// adopting plugin's <c>StateImport.FromVersion</c>), and the groups it had joined (joined again on arrival).
/// </summary>
internal sealed record SessionSnapshot
{
    /// <summary>The session's id on the old server; the adopting server's session has the connection's new id.</summary>
    public long PreviousId { get; init; }

    public string FromVersion { get; init; } = string.Empty;

    public byte[] State { get; init; } = [];

    public IReadOnlyList<string> Groups { get; init; } = [];
}
