using System.Globalization;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Driver;

/// <summary>What a server is started with for one run: its port and control socket, and the scenario's needs.</summary>
internal sealed record ServerLaunch(int Port, string ControlSocket, Scenario Scenario, string BenchPluginsPath);

/// <summary>
/// A server under test: a name for the report and how to start it as a child process. To add a server, add a factory
/// below and its name to <see cref="Resolve"/>; a PluggableNet variant is one <see cref="Host"/> call with its settings.
/// </summary>
/// <param name="Name">Report name, also the <c>--servers</c> name.</param>
/// <param name="Program">A .dll run with <c>dotnet</c>, or a native executable.</param>
/// <param name="Arguments">Command-line arguments for a run.</param>
/// <param name="HasControlChannel">Answers <c>status</c> on its control socket (connections, requests, allocations).</param>
internal sealed record ServerDefinition(string Name, string Program, Func<ServerLaunch, IReadOnlyList<string>> Arguments, bool HasControlChannel = true)
{
    /// <summary>Suffix of a v2 variant: the same host build and settings, only the load generator speaks protocol v2.</summary>
    public const string V2Suffix = "-v2";

    /// <summary>The protocol the load generator speaks to this server (v2 only for the <c>-v2</c> variants).</summary>
    public WireVersion ClientProtocol { get; init; } = WireVersion.V1;

    /// <summary>Suffix of an isolated variant: the same host and plugin with <c>Plugins:&lt;Name&gt;:Isolation Process</c>.</summary>
    public const string IsolatedSuffix = "-isolated";

    private static readonly string[] s_isolated = ["--Plugins:Reverse:Isolation=Process", "--Plugins:Burn:Isolation=Process"];

    /// <summary>The Kestrel connection-handler baseline.</summary>
    public const string KestrelName = "kestrel";

    /// <summary>The single-threaded C epoll baseline: the physical limit of one thread on this kernel.</summary>
    public const string CName = "c";

    /// <summary>Multiply-adds per request of the CPU-heavy scenario (the Burn plugin's count, about 20 µs).</summary>
    public const int BurnIterations = 16_000;

    /// <summary>True for a baseline every ratio may be relative to.</summary>
    public bool IsBaseline => Name is KestrelName or CName;

    public bool IsDotnet => Program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);

    /// <summary>The host with the metrics exporter on: its ratio over <c>epoll</c> is what metrics cost.</summary>
    public const string MetricsName = "epoll+metrics";

    /// <summary>Every name <see cref="Resolve"/> knows, for help and errors.</summary>
    public const string KnownNames = "epoll, epoll-rN (fixed N reactors), epoll+metrics (exporter on), sockets, epoll-v2 and sockets-v2 (the same host, the client speaks protocol v2), epoll-isolated and sockets-isolated (the plugin in a worker process), base-epoll (--base-host-dll), kestrel, c";

    /// <summary>Another build of the host (<c>--base-host-dll</c>), for before/after ratios measured in the same run.</summary>
    public const string BaseName = "base-epoll";

    /// <summary>The definition of a <c>--servers</c> name.</summary>
    public static ServerDefinition Resolve(string name, DriverOptions options, string cServer) => name switch
    {
        "epoll" => Host(name, "Epoll", options.HostDll),
        "sockets" => Host(name, "Sockets", options.HostDll),

        // The same host and plugin, the plugin in a worker process (issue 24): its ratio over epoll/sockets is what isolation costs.
        "epoll" + IsolatedSuffix => Host(name, "Epoll", options.HostDll, s_isolated),
        "sockets" + IsolatedSuffix => Host(name, "Sockets", options.HostDll, s_isolated),

        // The same host and settings as epoll and sockets: only the client's protocol differs, so v2 ÷ v1 is what v2 costs.
        "epoll" + V2Suffix => Host(name, "Epoll", options.HostDll) with { ClientProtocol = WireVersion.V2 },
        "sockets" + V2Suffix => Host(name, "Sockets", options.HostDll) with { ClientProtocol = WireVersion.V2 },

        // The exporter on (Prometheus endpoint on a free port), so every instrument has a listener: its ratio over
        // epoll's is what metrics cost (issue 13: at least 0.97).
        MetricsName => Host(name, "Epoll", options.HostDll, $"--Telemetry:Prometheus:Endpoint=http://127.0.0.1:{FreePort.Next()}/metrics"),
        // An older build shipped 4 MiB in its appsettings.json; today's default is given so only the code differs.
        BaseName => Host(name, "Epoll", options.BaseHostDll ?? throw new ArgumentException("base-epoll needs --base-host-dll."), "--Limits:MaxPendingWriteBytes=65536"),
        KestrelName => Kestrel(options.KestrelDll),
        CName => C(cServer),
        _ when FixedReactors(name) is { } count => Host(name, "Epoll", options.HostDll, $"--Server:ReactorThreads={count}"),
        _ => throw new ArgumentException($"Unknown server '{name}': use {KnownNames}."),
    };

    /// <summary>The v1 server a <c>-v2</c> variant is compared with (<c>epoll-v2</c> → <c>epoll</c>), else null.</summary>
    public static string? V1Counterpart(string name) => name.EndsWith(V2Suffix, StringComparison.Ordinal) ? name[..^V2Suffix.Length] : null;

    /// <summary>True for a name <see cref="Resolve"/> knows.</summary>
    public static bool IsKnown(string name) =>
        name is "epoll" or "sockets" or "epoll" + IsolatedSuffix or "sockets" + IsolatedSuffix or "epoll" + V2Suffix or "sockets" + V2Suffix or MetricsName or KestrelName or CName or BaseName || FixedReactors(name) is not null;

    /// <summary>N of <c>epoll-rN</c>, else null.</summary>
    public static int? FixedReactors(string name) =>
        name.StartsWith("epoll-r", StringComparison.Ordinal) && int.TryParse(name.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 256 ? n : null;

    /// <summary>The PluggableNet host on the given transport (<c>Epoll</c> or <c>Sockets</c>), default settings plus <paramref name="settings"/>.</summary>
    public static ServerDefinition Host(string name, string transport, string dll, params string[] settings) => new(
        name,
        dll,
        launch =>
        [
            "--Server:Address=127.0.0.1",
            $"--Server:Port={launch.Port}",
            $"--Server:Transport={transport}",
            $"--Control:Socket={launch.ControlSocket}",

            // The idle scenario holds 10,000 connections plus the active ones: lift the host's default cap of 10,000.
            "--Limits:MaxConnections=100000",
            .. launch.Scenario.Binary ? new[] { "--Framing:Kind=UInt32BigEndian", $"--Framing:MaxFrameBytes={Math.Max(1024 * 1024, launch.Scenario.PayloadBytes)}" } : [],
            .. launch.Scenario.Burn
                ? new[] { $"--Logic:PluginsPath={launch.BenchPluginsPath}", "--Logic:Plugin=Burn" }
                : ["--Logic:Plugin=Reverse"],
            .. settings,
        ]);

    /// <summary>The Kestrel connection-middleware baseline, serving Reverse.</summary>
    public static ServerDefinition Kestrel(string dll) => new(
        KestrelName,
        dll,
        launch =>
        [
            "--port", launch.Port.ToString(CultureInfo.InvariantCulture),
            $"--Control:Socket={launch.ControlSocket}",
            .. launch.Scenario.Binary ? new[] { "--framing=binary" } : [],
            .. launch.Scenario.Burn ? new[] { $"--burn={BurnIterations}" } : [],
        ]);

    /// <summary>The C baseline (bench/Baselines/C/server.c), serving Reverse.</summary>
    public static ServerDefinition C(string executable) => new(
        CName,
        executable,
        launch =>
        [
            launch.Port.ToString(CultureInfo.InvariantCulture),
            launch.Scenario.Binary ? "binary" : "ascii5",
            Math.Max(1024 * 1024, launch.Scenario.PayloadBytes).ToString(CultureInfo.InvariantCulture),
            (launch.Scenario.Burn ? BurnIterations : 0).ToString(CultureInfo.InvariantCulture),
        ],
        HasControlChannel: false);
}
