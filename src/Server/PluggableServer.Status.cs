using System.Globalization;
using PluggableNet.Protocol;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Plugins.Isolation;
using PluggableNet.Server.Transport;
using PluggableNet.Server.Transport.Tls;

namespace PluggableNet.Server;

/// <summary>What <c>status</c>, the control socket and the tests see.</summary>
public sealed partial class PluggableServer
{
    /// <summary>A point-in-time view for the status channel and tests.</summary>
    public ServerStatus Status() => new(
        Environment.ProcessId,
        LocalEndPoint.Address.ToString(),
        LocalEndPoint.Port,
        Transport.ToString(),
        Plugins.Current.Name,
        Plugins.Current.Version,
        Plugins.Current.Number,
        Plugins.Swaps,
        Metrics.OpenConnections,
        Metrics.Requests,
        GC.GetTotalAllocatedBytes(false),
        Math.Round(Uptime.TotalSeconds, 1),
        Plugins.History.Failures,
        Plugins.History.LastSwapAt,
        Plugins.History.LastTrigger,
        Plugins.History.LastError,
        Plugins.Retired.StillLoaded,
        _lifecycle.Context.OffloadGate.Abandoned,
        _lifecycle.Context.OffloadGate.AbandonedBytes,
        Metrics.ActiveReactors,
        Transport == TransportKind.Epoll ? Settings.ReactorThreads : 0,
        Transport == TransportKind.Epoll && Settings.AdaptiveReactors,
        Metrics.ReactorMigrations)
    {
        AcceptedConnections = Metrics.AcceptedConnections,
        RejectedConnections = Metrics.RejectedConnections,
        Rejections = Enum.GetValues<RefusalKind>().ToDictionary(k => HostMeter.SnakeCase(k.ToString()), Metrics.RejectedOf),
        UntrackedAddresses = Metrics.UntrackedAddresses,
        AcceptPauses = Metrics.AcceptPauses,
        OpenFilesLimit = _lifecycle.Headroom.Current(Environment.TickCount64)?.Limit ?? 0,
        DescriptorsInUse = _lifecycle.Headroom.Current(Environment.TickCount64)?.InUse ?? 0,
        V2Connections = Metrics.V2Connections,
        ActiveSessions = Plugins.Sessions.Count,
        Pushes = Enumerable.Range(0, ServerReadings.PushOutcomes.Length).ToDictionary(i => ServerReadings.PushOutcomes[i], i => Plugins.Sessions.Metrics.PushesOf((PushResult)i)),
        Migrations = Plugins.Sessions.Metrics.Migrations,
        MigrationsRolledBack = Plugins.Sessions.Metrics.MigrationFailures,
        LastMigrationPauseMs = Plugins.Sessions.Metrics.LastMigrationMicroseconds / 1000.0,
        BytesReceived = Metrics.BytesReceived,
        BytesSent = Metrics.BytesSent,
        RequestsByVersion = Meter.PluginVersions().ToDictionary(p => p.Name + " " + p.Version, p => p.Requests),
        ProtocolErrors = Enum.GetValues<ProtocolErrorKind>().ToDictionary(k => HostMeter.SnakeCase(k.ToString()), Metrics.ProtocolErrorsOf),
        Timeouts = Enum.GetValues<TimeoutKind>().ToDictionary(k => HostMeter.SnakeCase(k.ToString()), Metrics.TimeoutsOf),
        PluginFaults = Enum.GetValues<PluginFaultKind>().ToDictionary(k => HostMeter.SnakeCase(k.ToString()), Metrics.PluginFaultsOf),
        OffloadsActive = _lifecycle.Context.OffloadGate.Running,
        OffloadsQueued = Metrics.WaitingForOffloadSlot,
        BackpressurePauses = Metrics.BackpressurePauses,
        PausedConnections = Metrics.PausedConnections,
        Ready = IsReady,
        PluginsPath = Factory.PluginsPath,
        Tls = Certificates is null ? null : TlsStatusOf(Certificates),
        Isolation = Plugins.Current.Plugin is IsolatedPlugin isolated ? IsolationStatusOf(Plugins.Current.Name, isolated) : null,
        Endpoint = Name,
        Framing = string.Create(CultureInfo.InvariantCulture, $"{Settings.FramingKind}{(Settings.FramingKind == FramingKind.AsciiDecimal ? $" {Settings.HeaderDigits} digits" : string.Empty)}, v2 {(Settings.AllowV2 ? "allowed" : "refused")}{(Certificates is null ? string.Empty : ", TLS")}"),
    };

    private static IsolationStatus IsolationStatusOf(string name, IsolatedPlugin plugin)
    {
        var counters = plugin.Counters;
        return new()
        {
            Plugin = name,
            WorkerPid = plugin.WorkerPid,
            GaveUp = plugin.GaveUp,
            WorkerCrashes = counters.WorkerCrashes,
            WorkerRestarts = counters.WorkerRestarts,
            Requests = counters.Requests,
            RequestWrites = counters.RequestWrites,
            Answers = counters.Answers,
            AnswerReads = counters.AnswerReads,
            BlockedSends = counters.BlockedSends,
        };
    }

    private static TlsStatus TlsStatusOf(TlsCertificates certificates) => new()
    {
        Protocols = certificates.Settings.Protocols.ToString(),
        ClientCertificateMode = certificates.Settings.ClientCertificateMode.ToString(),
        Certificates = [.. certificates.Current.Certificates.Select(c => new TlsCertificateStatus(c.Source.Name, c.Subject, c.Thumbprint, c.NotAfter, c.Source.HostNames))],
        Handshakes = new()
        {
            [TlsInstruments.Version(System.Security.Authentication.SslProtocols.Tls12)] = certificates.Counters.Tls12Handshakes,
            [TlsInstruments.Version(System.Security.Authentication.SslProtocols.Tls13)] = certificates.Counters.Tls13Handshakes,
        },
        HandshakeFailures = Enum.GetValues<TlsHandshakeFailure>().ToDictionary(k => HostMeter.SnakeCase(k.ToString()), certificates.Counters.FailuresOf),
        CertificateSwaps = certificates.Swaps,
        FailedCertificateSwaps = certificates.SwapFailures,
        LastCertificateSwapAt = certificates.LastSwapAt,
        LastCertificateError = certificates.LastError,
    };
}
