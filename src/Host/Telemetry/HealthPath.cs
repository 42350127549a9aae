namespace PluggableNet.Host.Telemetry;

/// <summary>
/// What a health request asks: liveness (<c>/healthz</c>) or readiness (<c>/readyz</c>), of the whole host or, with a
/// last segment (<c>/readyz/Public</c>), of one endpoint; the layout kube-apiserver uses for its individual checks.
/// </summary>
internal readonly record struct HealthPath(bool Live, string? Endpoint)
{
    /// <summary>The request under <paramref name="pathBase"/>, or null when it is no health path.</summary>
    public static HealthPath? Parse(string path, string pathBase)
    {
        if (!path.StartsWith(pathBase, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = path.AsSpan(pathBase.Length);
        var live = rest.StartsWith("/healthz");
        if (!live && !rest.StartsWith("/readyz"))
        {
            return null;
        }

        rest = rest[(live ? "/healthz" : "/readyz").Length..];
        if (rest.IsEmpty)
        {
            return new HealthPath(live, null);
        }

        // One more segment, the endpoint's name; nothing deeper.
        var name = rest[1..];
        return rest[0] == '/' && !name.IsEmpty && !name.Contains('/') ? new HealthPath(live, name.ToString()) : null;
    }

    /// <summary>The answer's status and line, for the host or one endpoint.</summary>
    public (bool Ok, string Text) Answer(bool starting, bool isLive, bool isReady) => Live
        ? starting ? (true, "starting") : isLive ? (true, "live") : (false, "reactors stalled")
        : starting ? (false, "starting") : isReady ? (true, "ready") : (false, "draining");
}
