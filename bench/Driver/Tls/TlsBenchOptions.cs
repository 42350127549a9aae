namespace PluggableNet.Bench.Driver.Tls;

/// <summary>Settings of the <c>tls</c> benchmark: PluggableNet's TLS endpoint against Kestrel's, same certificate, same client.</summary>
internal sealed record TlsBenchOptions
{
    public int Rounds { get; init; } = 5;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Any of pingpong, pipelined, handshakes.</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = ["pingpong", "pipelined", "handshakes"];

    /// <summary>pnet (the host, TLS on; Server:Transport left at its default, Epoll) and kestrel.</summary>
    public IReadOnlyList<string> Servers { get; init; } = ["pnet", "kestrel"];

    /// <summary>0 (negotiated: 1.3), 12 or 13.</summary>
    public int TlsVersion { get; init; }

    public required string OutputDirectory { get; init; }

    public required string HostDll { get; init; }

    public required string KestrelDll { get; init; }

    public bool Smoke { get; init; }

    public string CommandLine { get; init; } = string.Empty;
}
