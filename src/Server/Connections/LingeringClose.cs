namespace PluggableNet.Server.Connections;

/// <summary>
/// nginx's <c>lingering_close</c>: a graceful close sends FIN, then reads and discards what the peer still sends until
/// it closes too, or a short budget runs out, and only then closes the socket. Closing at once would answer a request
/// sent at that moment with an RST, and a peer that pipelines its next batch then fails with "broken pipe" instead
/// of seeing a clean end of stream at a frame boundary it can resend after.
/// </summary>
internal static class LingeringClose
{
    /// <summary>How long a closing connection keeps reading before it closes anyway.</summary>
    public const int TimeoutMs = 2_000;

    /// <summary>How much a closing connection discards before it closes anyway: a peer that keeps sending gets its RST.</summary>
    public const int MaxDiscardBytes = 256 * 1024;

    /// <summary>
    /// Whether a close for <paramref name="reason"/> lingers: every close the host chooses at a frame boundary, never
    /// one caused by the peer's reset, by a peer too slow to deserve the wait, or by admission (a flood must not hold
    /// descriptors).
    /// </summary>
    public static bool Applies(CloseReason reason) => reason is not (CloseReason.None or CloseReason.RemoteReset
        or CloseReason.ReadTimeout or CloseReason.ReceiveTooSlow or CloseReason.WriteTimeout or CloseReason.Rejected or CloseReason.SlowConsumer);
}
