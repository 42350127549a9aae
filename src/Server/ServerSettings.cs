using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using PluggableNet.Protocol;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Transport;
using PluggableNet.Server.Transport.Tls;

namespace PluggableNet.Server;

/// <summary>
/// Every setting the host reads, parsed and validated in one place. Each bad value becomes an error that names
/// its key, and all of them are reported together at startup.
/// </summary>
public sealed partial record ServerSettings
{
    /// <summary><c>Server:Address</c>, default <c>0.0.0.0</c>: the address to listen on.</summary>
    public IPAddress Address { get; init; } = IPAddress.Any;

    /// <summary><c>Server:Port</c>, default 9090 (nbNet's). 0 picks a free port.</summary>
    public int Port { get; init; } = 9090;

    /// <summary><c>Server:Backlog</c>, default 512: the kernel's queue of connections not yet accepted (not a connection limit).</summary>
    public int Backlog { get; init; } = 512;

    /// <summary>
    /// <c>Server:ReactorThreads</c>, default <c>auto</c>: epoll reactors, one thread each. A number fixes how many serve;
    /// <c>auto</c> starts one per processor and keeps active only as many as measurably pay off (see
    /// <see cref="AdaptiveReactors"/>). 0 means the processor count, fixed.
    /// </summary>
    public int ReactorThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>True when <c>Server:ReactorThreads</c> is <c>auto</c> (the default): the active reactors adapt to the load and the machine.</summary>
    public bool AdaptiveReactors { get; init; } = true;

    /// <summary><c>Server:ReactorMigrationDrillMs</c>, default 0 (off): alternate the active reactors between one and all this often, moving connections; a drill for tests.</summary>
    public int ReactorMigrationDrillMs { get; init; }

    /// <summary><c>Server:Transport</c>, default <c>Epoll</c> on Linux, <c>Sockets</c> elsewhere.</summary>
    public TransportKind Transport { get; init; } = OperatingSystem.IsLinux() ? TransportKind.Epoll : TransportKind.Sockets;

    /// <summary>
    /// <c>Server:ProxyProtocol</c>, default false: every connection starts with a PROXY protocol header (HAProxy's, v1 or
    /// v2), accepted only from <see cref="TrustedProxies"/>; the client's address it carries then stands for the peer.
    /// </summary>
    public bool ProxyProtocol { get; init; }

    /// <summary><c>Server:TrustedProxies</c>, default none: the addresses and CIDR ranges whose PROXY headers are believed.</summary>
    public IReadOnlyList<IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary><c>Server:DrainTimeout</c>, default 10 s: how long a graceful stop waits for connections to finish.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>Server:UpgradeTimeout</c>, default 10 s: in a host upgrade, how long a busy connection may take to reach a point
    /// between requests and move to the new host; one still busy then finishes on the old host and closes with its drain.
    /// </summary>
    public TimeSpan UpgradeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Framing:Kind</c>, default <c>AsciiDecimal</c>.</summary>
    public FramingKind FramingKind { get; init; } = FramingKind.AsciiDecimal;

    /// <summary><c>Framing:HeaderDigits</c>, default 5, 1..10: the width of an ASCII header.</summary>
    public int HeaderDigits { get; init; } = 5;

    /// <summary><c>Framing:MaxFrameBytes</c>, default 1 MiB: the largest request payload; a larger header closes the connection before anything is allocated.</summary>
    public int MaxFrameBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// <c>Framing:AllowV2</c>, default true: a client that opens with the v2 preface speaks protocol v2
    /// (docs/protocol.md); false treats the preface as an invalid v1 header.
    /// </summary>
    public bool AllowV2 { get; init; } = true;

    /// <summary><c>Logic:Plugin</c>, default <c>Reverse</c>: the plugin folder to serve, a name inside <see cref="PluginsPath"/> (never a path).</summary>
    public string Plugin { get; init; } = "Reverse";

    /// <summary><c>Logic:PluginsPath</c>, default <c>plugins</c> beside the host: where plugin folders live.</summary>
    public string PluginsPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary><c>Logic:HotReload</c>, default true: swap in a plugin when its files change.</summary>
    public bool HotReload { get; init; } = true;

    /// <summary>
    /// <c>Logic:UnloadReport</c>, default false: a swapped-out plugin that does not unload is followed by a root-path
    /// report, the chain from a GC root to its code, from a heap snapshot of the host, once per plugin version. Off by
    /// default because the snapshot stops the whole process, reactors included, while it is written (seconds for a
    /// host of a few hundred MB: docs/hot-swap.md gives measurements) and needs disk the size of the process's
    /// memory until it is read; the leak warning says how to turn it on. The test kit's assertion always reports.
    /// </summary>
    public bool UnloadReport { get; init; }

    /// <summary><c>Logic:SwapDrainTimeout</c>, default 30 s: how long a swap waits for calls on the old version before disposing it anyway.</summary>
    public TimeSpan SwapDrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>Limits:MaxConnections</c>, default 10,000: connections beyond it are accepted and closed at once.</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>
    /// <c>Limits:MaxPendingWriteBytes</c>, default 64 KiB (Kestrel's response buffer): unsent answers per connection
    /// before it stops being read. A peer that stops reading holds this plus one answer; 10,000 of them at 4 MiB each
    /// would be 40 GiB.
    /// </summary>
    public int MaxPendingWriteBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// <c>Limits:ReadTimeout</c>, default 30 s (0 = off): a started frame's header must complete within it, and, with
    /// <see cref="MinReceiveRate"/> off, the whole frame.
    /// </summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>Limits:MinReceiveRate</c>, default 240 bytes/s (Kestrel's MinRequestBodyDataRate; 0 = off): once a frame's
    /// header is known, its payload must arrive at least this fast on average, after <see cref="MinReceiveRateGrace"/>.
    /// A slow link with a large frame is not cut by the read timeout; a trickle is.
    /// </summary>
    public int MinReceiveRate { get; init; } = 240;

    /// <summary><c>Limits:MinReceiveRateGrace</c>, default 5 s: how long a frame may start slowly before its rate counts.</summary>
    public TimeSpan MinReceiveRateGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>Limits:WriteTimeout</c>, default 60 s (0 = off): pending answers must make progress within it (nginx's send_timeout).</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>Limits:IdleTimeout</c>, default 10 min (0 = off): a connection with no request for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary><c>Limits:ProcessTimeout</c>, default 30 s (0 = off): an offloaded request must complete within it.</summary>
    public TimeSpan ProcessTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>Limits:MaxConcurrentOffloads</c>, default 64 per processor: offloaded requests running at once.</summary>
    public int MaxConcurrentOffloads { get; init; } = 64 * Environment.ProcessorCount;

    /// <summary>
    /// <c>Limits:MaxAbandonedOffloads</c>, default 16 per processor: offloaded calls whose connection is gone (cut by
    /// <c>ProcessTimeout</c>, reset, shutdown) that may still run without an offload slot; each one beyond keeps its
    /// slot until it ends. Bounds what plugins ignoring cancellation can hold: at most MaxConcurrentOffloads +
    /// MaxAbandonedOffloads calls, each with its request buffer (≤ MaxFrameBytes).
    /// </summary>
    public int MaxAbandonedOffloads { get; init; } = 16 * Environment.ProcessorCount;

    /// <summary>
    /// <c>Limits:MaxConcurrentRequests</c>, default 100 (HTTP/2's usual SETTINGS_MAX_CONCURRENT_STREAMS): v2 requests
    /// one connection may have in flight; one more is answered ERROR OVERLOADED and not processed.
    /// </summary>
    public int MaxConcurrentRequests { get; init; } = 100;

    /// <summary><c>Limits:PingInterval</c>, default 15 s (0 = off): a v2 connection silent this long is sent a PING.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// <c>Limits:PingTimeout</c>, default 10 s (0 = off): a v2 connection that does not answer the PING within it is
    /// closed as half-open, so a pulled cable is found in 25 s rather than at the 10-minute idle timeout.
    /// </summary>
    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Limits:PluginFault</c>, default <c>Close</c>: what a plugin exception does to its connection.</summary>
    public PluginFaultAction PluginFault { get; init; } = PluginFaultAction.Close;

    /// <summary>
    /// <c>Limits:MaxConnectionsPerAddress</c>, default 0 (off): connections one client address may hold, an IPv4 address
    /// or an IPv6 /64, the client a trusted PROXY header names when <c>Server:ProxyProtocol</c> is on. Off by default,
    /// as nginx's <c>limit_conn</c> and Kestrel are: behind a NAT, or a balancer that does not send the PROXY header,
    /// one address stands for many clients, and a default cap would refuse them.
    /// </summary>
    public int MaxConnectionsPerAddress { get; init; }

    /// <summary>
    /// <c>Limits:AcceptRatePerAddress</c>, default 0 (off): connections one client address may open per second, on
    /// average (a token bucket; a reconnect storm from one address is refused, other addresses are not slowed).
    /// </summary>
    public int AcceptRatePerAddress { get; init; }

    /// <summary>
    /// <c>Limits:AcceptBurstPerAddress</c>, default 10: how many connections one address may open at once before
    /// <see cref="AcceptRatePerAddress"/> applies (a client's pool opening together). Used only with the rate on.
    /// </summary>
    public int AcceptBurstPerAddress { get; init; } = 10;

    /// <summary>
    /// <c>Limits:TcpKeepAliveTime</c>, default 0 (the kernel's, 2 hours on Linux): whole seconds a connection may be
    /// silent before TCP keep-alive probes start. Any of the three keep-alive keys above 0 turns SO_KEEPALIVE on for
    /// every accepted connection (nginx's <c>so_keepalive=idle:interval:count</c>); all three at 0 leave it off.
    /// </summary>
    public TimeSpan TcpKeepAliveTime { get; init; }

    /// <summary><c>Limits:TcpKeepAliveInterval</c>, default 0 (the kernel's, 75 s): whole seconds between keep-alive probes.</summary>
    public TimeSpan TcpKeepAliveInterval { get; init; }

    /// <summary><c>Limits:TcpKeepAliveCount</c>, default 0 (the kernel's, 9): unanswered probes before the kernel drops the connection.</summary>
    public int TcpKeepAliveCount { get; init; }

    /// <summary><c>Control:Socket</c>, default none: a Unix domain socket answering <c>status</c>.</summary>
    public string? ControlSocket { get; init; }

    /// <summary><c>Telemetry:*</c> and <c>Health:*</c>: metric export and the health endpoint, off by default.</summary>
    internal ObservabilitySettings Observability { get; init; } = new();

    /// <summary><c>Tls:*</c>: TLS on the endpoint, off by default (docs/tls.md).</summary>
    internal TlsSettings Tls { get; init; } = new();

    public IPEndPoint EndPoint => new(Address, Port);

    internal ConnectionLimits ToLimits() => new()
    {
        MaxPendingWriteBytes = MaxPendingWriteBytes,
        ReadTimeoutMs = (long)ReadTimeout.TotalMilliseconds,
        MinReceiveBytesPerSecond = MinReceiveRate,
        MinReceiveRateGraceMs = (long)MinReceiveRateGrace.TotalMilliseconds,
        WriteTimeoutMs = (long)WriteTimeout.TotalMilliseconds,
        IdleTimeoutMs = (long)IdleTimeout.TotalMilliseconds,
        ProcessTimeoutMs = (long)ProcessTimeout.TotalMilliseconds,
        PluginFaultAction = PluginFault,
        AllowV2 = AllowV2,
        ProxyProtocol = ProxyProtocol,
        TrustedProxies = TrustedProxies,
        MaxConcurrentRequests = MaxConcurrentRequests,
        PingIntervalMs = (long)PingInterval.TotalMilliseconds,
        PingTimeoutMs = (long)PingTimeout.TotalMilliseconds,
        MaxConnectionsPerAddress = MaxConnectionsPerAddress,
        AcceptRatePerAddress = AcceptRatePerAddress,
        AcceptBurstPerAddress = AcceptBurstPerAddress,
        AddressTableCapacity = AddressTable.CapacityFor(MaxConnections),
    };

    internal TcpKeepAlive ToKeepAlive() => new((int)TcpKeepAliveTime.TotalSeconds, (int)TcpKeepAliveInterval.TotalSeconds, TcpKeepAliveCount);

    internal FrameCodec ToCodec() => new(FramingKind, HeaderDigits, MaxFrameBytes);

    /// <summary>
    /// Reads one endpoint's keys from <paramref name="reader"/> (the flat keys, or under <c>Endpoints:&lt;Name&gt;:</c>),
    /// each unset key taking its value from <paramref name="defaults"/>. Errors go to the reader, named in full.
    /// </summary>
    private static ServerSettings ReadEndpoint(SettingsReader reader, ServerSettings defaults)
    {
        var settings = new ServerSettings
        {
            Address = reader.Address("Server:Address", defaults.Address),
            Port = reader.Int("Server:Port", defaults.Port, 0, 65535),
            Backlog = reader.Int("Server:Backlog", defaults.Backlog, 1, 65535),
            ReactorThreads = reader.IntOrAuto("Server:ReactorThreads", 1, 256, Environment.ProcessorCount, out var adaptiveReactors),
            AdaptiveReactors = adaptiveReactors,
            ReactorMigrationDrillMs = reader.Int("Server:ReactorMigrationDrillMs", defaults.ReactorMigrationDrillMs, 0, 60_000),
            Transport = reader.Enum("Server:Transport", defaults.Transport),
            DrainTimeout = reader.Duration("Server:DrainTimeout", defaults.DrainTimeout),
            UpgradeTimeout = reader.Duration("Server:UpgradeTimeout", defaults.UpgradeTimeout),
            ProxyProtocol = reader.Bool("Server:ProxyProtocol", defaults.ProxyProtocol),
            TrustedProxies = reader.HasValue("Server:TrustedProxies") ? reader.Networks("Server:TrustedProxies") : defaults.TrustedProxies,
            FramingKind = reader.Enum("Framing:Kind", defaults.FramingKind),
            HeaderDigits = reader.Int("Framing:HeaderDigits", defaults.HeaderDigits, 1, 10),
            MaxFrameBytes = reader.Int("Framing:MaxFrameBytes", defaults.MaxFrameBytes, 1, Array.MaxLength - 16),
            AllowV2 = reader.Bool("Framing:AllowV2", defaults.AllowV2),
            PluginsPath = Path.GetFullPath(reader.Text("Logic:PluginsPath", defaults.PluginsPath), AppContext.BaseDirectory),
            HotReload = reader.Bool("Logic:HotReload", defaults.HotReload),
            SwapDrainTimeout = reader.Duration("Logic:SwapDrainTimeout", defaults.SwapDrainTimeout),
            UnloadReport = reader.Bool("Logic:UnloadReport", defaults.UnloadReport),
            MaxConnections = reader.Int("Limits:MaxConnections", defaults.MaxConnections, 1, 10_000_000),
            MaxPendingWriteBytes = reader.Int("Limits:MaxPendingWriteBytes", defaults.MaxPendingWriteBytes, 1024, int.MaxValue),
            ReadTimeout = reader.Duration("Limits:ReadTimeout", defaults.ReadTimeout),
            MinReceiveRate = reader.Int("Limits:MinReceiveRate", defaults.MinReceiveRate, 0, int.MaxValue),
            MinReceiveRateGrace = reader.Duration("Limits:MinReceiveRateGrace", defaults.MinReceiveRateGrace),
            WriteTimeout = reader.Duration("Limits:WriteTimeout", defaults.WriteTimeout),
            IdleTimeout = reader.Duration("Limits:IdleTimeout", defaults.IdleTimeout),
            ProcessTimeout = reader.Duration("Limits:ProcessTimeout", defaults.ProcessTimeout),
            MaxConcurrentOffloads = reader.Int("Limits:MaxConcurrentOffloads", defaults.MaxConcurrentOffloads, 1, 1_000_000),
            MaxAbandonedOffloads = reader.Int("Limits:MaxAbandonedOffloads", defaults.MaxAbandonedOffloads, 0, 1_000_000),
            MaxConcurrentRequests = reader.Int("Limits:MaxConcurrentRequests", defaults.MaxConcurrentRequests, 1, 65_535),
            PingInterval = reader.Duration("Limits:PingInterval", defaults.PingInterval),
            PingTimeout = reader.Duration("Limits:PingTimeout", defaults.PingTimeout),
            PluginFault = reader.Enum("Limits:PluginFault", defaults.PluginFault),
            MaxConnectionsPerAddress = reader.Int("Limits:MaxConnectionsPerAddress", defaults.MaxConnectionsPerAddress, 0, 10_000_000),
            AcceptRatePerAddress = reader.Int("Limits:AcceptRatePerAddress", defaults.AcceptRatePerAddress, 0, 1_000_000),
            AcceptBurstPerAddress = reader.Int("Limits:AcceptBurstPerAddress", defaults.AcceptBurstPerAddress, 1, 1_000_000),
            TcpKeepAliveTime = reader.WholeSeconds("Limits:TcpKeepAliveTime", defaults.TcpKeepAliveTime, TcpKeepAlive.MaxSeconds),
            TcpKeepAliveInterval = reader.WholeSeconds("Limits:TcpKeepAliveInterval", defaults.TcpKeepAliveInterval, TcpKeepAlive.MaxSeconds),
            TcpKeepAliveCount = reader.Int("Limits:TcpKeepAliveCount", defaults.TcpKeepAliveCount, 0, TcpKeepAlive.MaxCount),
            ControlSocket = defaults.ControlSocket,
            Observability = defaults.Observability,
            Tls = TlsSettingsReader.Read(reader.Unprefixed, reader.Key("Tls")),
        };

        // A name confined to the plugins folder: a path here would load and run code from anywhere.
        settings = settings with { Plugin = reader.FolderName("Logic:Plugin", defaults.Plugin, reader.Key("Logic:PluginsPath") + " (" + settings.PluginsPath + ")") };
        if (!reader.HasValue("Server:ReactorThreads"))
        {
            settings = settings with { ReactorThreads = defaults.ReactorThreads, AdaptiveReactors = defaults.AdaptiveReactors };
        }

        return settings;
    }

    /// <summary>Checks what no single key shows (and caps <see cref="MaxFrameBytes"/> to the header's width); errors go to the reader.</summary>
    private static ServerSettings Validated(SettingsReader reader, ServerSettings settings)
    {
        if (settings.Transport == TransportKind.Epoll && !OperatingSystem.IsLinux())
        {
            reader.Errors.Add(reader.Key("Server:Transport") + ": 'Epoll' needs Linux; use 'Sockets' on this system.");
        }

        if (settings.FramingKind == FramingKind.AsciiDecimal && settings.HeaderDigits < 10 && settings.MaxFrameBytes > Pow10(settings.HeaderDigits) - 1)
        {
            // The header could not announce such a frame anyway; cap silently to what the width can express.
            settings = settings with { MaxFrameBytes = (int)(Pow10(settings.HeaderDigits) - 1) };
        }

        if (settings.ProxyProtocol && settings.TrustedProxies.Count == 0)
        {
            reader.Errors.Add(reader.Key("Server:ProxyProtocol") + $": true needs {reader.Key("Server:TrustedProxies")} (the proxies' addresses or CIDR ranges): a PROXY header from anyone else is refused.");
        }

        if (settings.AllowV2 && settings.FramingKind == FramingKind.UInt32BigEndian && settings.MaxFrameBytes >= PluggableNet.Protocol.V2.Preface.AsBinaryLength)
        {
            // The v2 preface read as a 4-byte length would then be a valid v1 header: the host could not tell them apart.
            reader.Errors.Add($"{reader.Key("Framing:MaxFrameBytes")}: {settings.MaxFrameBytes} with {reader.Key("Framing:AllowV2")} true and {reader.Key("Framing:Kind")} UInt32BigEndian must stay below {PluggableNet.Protocol.V2.Preface.AsBinaryLength} (the v2 preface read as a length); lower it or set {reader.Key("Framing:AllowV2")} to false.");
        }

        return settings;
    }

    private static long Pow10(int digits)
    {
        long value = 1;
        for (var i = 0; i < digits; i++)
        {
            value *= 10;
        }

        return value;
    }
}
