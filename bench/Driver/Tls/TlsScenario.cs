namespace PluggableNet.Bench.Driver.Tls;

/// <summary>One load shape of the TLS benchmark: requests on open connections (<c>rr</c>), or full handshakes (<c>hs</c>).</summary>
internal sealed record TlsScenario(string Name, string Mode, int Connections, int Depth, int PayloadBytes)
{
    public static TlsScenario Get(string name, bool smoke) => (name, smoke) switch
    {
        ("pingpong", false) => new(name, "rr", 32, 1, 64),
        ("pipelined", false) => new(name, "rr", 32, 16, 64),
        ("handshakes", false) => new(name, "hs", 16, 1, 64),
        ("pingpong", true) => new(name, "rr", 4, 1, 64),
        ("pipelined", true) => new(name, "rr", 4, 16, 64),
        ("handshakes", true) => new(name, "hs", 2, 1, 64),
        _ => throw new ArgumentException($"Unknown TLS scenario '{name}': use pingpong, pipelined, handshakes.", nameof(name)),
    };

    public bool IsHandshakes => Mode == "hs";

    /// <summary>What the figure counts: answered requests, or completed handshakes (each with one request).</summary>
    public string Unit => IsHandshakes ? "handshakes/s" : "req/s";

    public string Describe() => IsHandshakes
        ? $"{Connections} connections at a time, each a full TLS handshake (no resumption), one {PayloadBytes} B request, close"
        : $"{Connections} TLS connections x depth {Depth}, {PayloadBytes} B";
}
