namespace PluggableNet.Bench.Driver;

/// <summary>A server under test: a name for the report and how to start it as a child process.</summary>
internal sealed record ServerDefinition(string Name, string Dll, Func<int, string, IReadOnlyList<string>> Arguments)
{
    /// <summary>Name of the baseline every ratio is relative to.</summary>
    public const string KestrelName = "kestrel";

    /// <summary>True for the Kestrel baseline.</summary>
    public bool IsBaseline => Name == KestrelName;

    /// <summary>The PluggableNet host on the given transport (<c>Epoll</c> or <c>Sockets</c>), serving Reverse.</summary>
    public static ServerDefinition Host(string name, string transport, string dll) => new(
        name,
        dll,
        (port, controlSocket) =>
        [
            "--Server:Address=127.0.0.1",
            $"--Server:Port={port}",
            $"--Server:Transport={transport}",
            "--Logic:Plugin=Reverse",
            $"--Control:Socket={controlSocket}",

            // The idle scenario holds 10,000 connections plus the active ones: lift the host's default cap of 10,000.
            "--Limits:MaxConnections=100000",
        ]);

    /// <summary>
    /// <c>epoll+metrics</c>: the epoll host with its OpenTelemetry exporter on (Prometheus endpoint on a free port),
    /// so every instrument has a listener; its ratio over <c>epoll</c>'s is what metrics cost (issue 13: ≥ 0.97×).
    /// </summary>
    public static ServerDefinition HostWithMetrics(string dll)
    {
        var plain = Host("epoll+metrics", "Epoll", dll);
        return plain with { Arguments = (port, controlSocket) => [.. plain.Arguments(port, controlSocket), $"--Telemetry:Prometheus:Endpoint=http://127.0.0.1:{FreePort.Next()}/metrics"] };
    }

    /// <summary>The Kestrel connection-middleware baseline, serving Reverse.</summary>
    public static ServerDefinition Kestrel(string dll) => new(
        KestrelName,
        dll,
        (port, controlSocket) => ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), $"--Control:Socket={controlSocket}"]);
}
