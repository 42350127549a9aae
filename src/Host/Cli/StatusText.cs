using System.Globalization;
using PluggableNet.Server;

namespace PluggableNet.Host.Cli;

/// <summary>What <c>status</c> prints for a running host: a summary, then the meter's figures one topic a line.</summary>
internal static class StatusText
{
    public static string Describe(ServerStatus status, string controlSocket)
    {
        var uptime = TimeSpan.FromSeconds(status.UptimeSeconds);
        return string.Create(CultureInfo.InvariantCulture, $"""
            running
              pid:          {status.Pid}
              listening:    {ServiceCommand.FormatEndPoint(status)} ({status.Transport})
              plugin:       {status.Plugin} {status.PluginVersion} (generation {status.Generation}, {status.Swaps} swap(s) so far)
              plugins:      {status.PluginsPath}
              control:      {controlSocket}
              uptime:       {(int)uptime.TotalDays}d {uptime:hh\:mm\:ss}
              connections:  {status.Connections} open, {status.Requests} request(s) served
            """)
            + (status.Reactors > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{Environment.NewLine}  reactors:     {status.ActiveReactors} of {status.Reactors} active ({(status.AdaptiveReactors ? "auto" : "fixed")}), {status.ReactorMigrations} connection move(s)")
                : string.Empty)
            + (status.AbandonedOffloads > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{Environment.NewLine}  abandoned:    {status.AbandonedOffloads} offloaded call(s) still running after their connection went, holding {status.AbandonedOffloadBytes} byte(s)")
                : string.Empty)
            + (status.UpgradedAt is { } upgradedAt
                ? string.Create(CultureInfo.InvariantCulture, $"{Environment.NewLine}  upgraded:     {upgradedAt:yyyy-MM-dd HH:mm:ss} UTC from {status.UpgradedFrom}")
                : string.Empty)
            + (status.LastSwapError is { } error ? $"{Environment.NewLine}  last swap:    failed: {error}" : string.Empty)
            + Endpoints(status)
            + Tls(status.Tls)
            + Isolation(status.Isolation)
            + Figures(status);
    }

    /// <summary>
    /// Each endpoint a line (name, address, transport, framing, plugin, connections, ready) when the host has
    /// <c>Endpoints</c> sections; the lines above are then the first endpoint's, except <c>ready</c>, the whole host's.
    /// </summary>
    private static string Endpoints(ServerStatus status)
    {
        if (status.Endpoints is not { } endpoints || (endpoints.Count == 1 && endpoints[0].Endpoint == ServerSettings.DefaultEndpointName))
        {
            return string.Empty;
        }

        var width = endpoints.Max(e => e.Endpoint.Length);
        return string.Concat(endpoints.Select(e => string.Create(CultureInfo.InvariantCulture,
            $"{Environment.NewLine}  endpoint:     {e.Endpoint.PadRight(width)}  {ServiceCommand.FormatEndPoint(e)} ({e.Transport}), {e.Framing}, plugin {e.Plugin} {e.PluginVersion} (generation {e.Generation}), {e.Connections} connection(s), {(e.Ready ? "ready" : "not ready")}")));
    }

    /// <summary>A TLS endpoint: each certificate served now, then handshakes and certificate swaps.</summary>
    private static string Tls(TlsStatus? tls)
    {
        if (tls is null)
        {
            return string.Empty;
        }

        var n = Environment.NewLine;
        var text = string.Create(CultureInfo.InvariantCulture, $"{n}  tls:          {tls.Protocols}, client certificates {tls.ClientCertificateMode}");
        foreach (var certificate in tls.Certificates)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"{n}  certificate:  {certificate.Name}: {certificate.Subject}, thumbprint {certificate.Thumbprint}, until {certificate.NotAfter:u}{(certificate.HostNames.Count > 0 ? " for " + string.Join(", ", certificate.HostNames) : string.Empty)}");
        }

        return text
            + string.Create(CultureInfo.InvariantCulture, $"{n}  handshakes:   {string.Join(", ", tls.Handshakes.Select(h => $"TLS {h.Key}: {h.Value}"))}; failed ({string.Join(", ", tls.HandshakeFailures.Select(f => $"{f.Key} {f.Value}"))})")
            + string.Create(CultureInfo.InvariantCulture, $"{n}  cert swaps:   {tls.CertificateSwaps} succeeded, {tls.FailedCertificateSwaps} refused")
            + (tls.LastCertificateError is { } error ? $"{n}  last cert:    refused: {error}" : string.Empty);
    }

    /// <summary>A plugin in <c>Isolation Process</c>: its worker, crashes and restarts, then how requests and answers were batched.</summary>
    private static string Isolation(IsolationStatus? isolation)
    {
        if (isolation is null)
        {
            return string.Empty;
        }

        var n = Environment.NewLine;
        var worker = isolation.GaveUp ? "given up (refused until reloaded)" : isolation.WorkerPid > 0 ? $"worker process {isolation.WorkerPid}" : "worker restarting";
        return string.Create(CultureInfo.InvariantCulture, $"{n}  isolation:    {isolation.Plugin} in {worker}; {isolation.WorkerCrashes} crash(es), {isolation.WorkerRestarts} restart(s)")
            + string.Create(CultureInfo.InvariantCulture, $"{n}  batching:     {isolation.Requests} request(s) in {isolation.RequestWrites} write(s) ({isolation.RequestsPerWrite:0.##} per write), {isolation.Answers} answer(s) in {isolation.AnswerReads} read(s) ({isolation.AnswersPerRead:0.##} per read), {isolation.BlockedSends} blocked send(s)");
    }

    /// <summary>The same figures as the PluggableNet meter's instruments (docs/observability.md), one topic a line.</summary>
    public static string Figures(ServerStatus status)
    {
        static string ByKind(Dictionary<string, long> counts) =>
            string.Join(", ", counts.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value}")));

        var n = Environment.NewLine;
        return string.Create(CultureInfo.InvariantCulture, $"""
            {n}  ready:        {(status.Ready ? "yes" : "no (starting or stopping)")}
              accepted:     {status.AcceptedConnections} connection(s) ({status.V2Connections} spoke v2), {status.RejectedConnections} rejected ({ByKind(status.Rejections)}){(status.UntrackedAddresses > 0 ? $", {status.UntrackedAddresses} admitted untracked (address table full)" : string.Empty)}
              descriptors:  {(status.OpenFilesLimit > 0 ? $"{status.DescriptorsInUse} in use of the open files limit {status.OpenFilesLimit}" : "limit unknown")}, accepting paused {status.AcceptPauses} time(s)
              traffic:      {status.BytesReceived} byte(s) received, {status.BytesSent} sent
              by version:   {string.Join(", ", status.RequestsByVersion.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key}: {v.Value}")))}
              swaps:        {status.Swaps} succeeded, {status.FailedSwaps} failed; {status.RetiredGenerationsLoaded} retired generation(s) still loaded
              errors:       protocol ({ByKind(status.ProtocolErrors)}); plugin faults ({ByKind(status.PluginFaults)})
              timeouts:     {ByKind(status.Timeouts)}
              offloads:     {status.OffloadsActive} running, {status.OffloadsQueued} connection(s) waiting for a slot
              backpressure: {status.PausedConnections} connection(s) paused now, {status.BackpressurePauses} pause(s) so far
              sessions:     {status.ActiveSessions} open; pushes ({ByKind(status.Pushes)}); state moves {status.Migrations} succeeded, {status.MigrationsRolledBack} rolled back, last pause {status.LastMigrationPauseMs:0.###} ms
            """);
    }
}
