namespace PluggableNet.LoadGen;

/// <summary>What one load run does. Validate with <see cref="Validate"/> before running.</summary>
public sealed record LoadOptions
{
    /// <summary>Server address (IP literal or host name). Default 127.0.0.1.</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>Server TCP port.</summary>
    public int Port { get; init; }

    /// <summary>Number of TCP connections, each driven by its own loop.</summary>
    public int Connections { get; init; } = 32;

    /// <summary>Requests in flight per connection: the pipeline depth, all written in one send.</summary>
    public int Depth { get; init; } = 1;

    /// <summary>Payload size of each request, in bytes (at least 1).</summary>
    public int PayloadBytes { get; init; } = 64;

    /// <summary>Length of the measured window.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Load applied before measuring starts; its latencies and counts are not recorded.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Wire framing of requests and answers.</summary>
    public FrameFormat Framing { get; init; } = FrameFormat.Default;

    /// <summary>The protocol spoken: v1 (<see cref="Framing"/>) or v2 (preface, typed frames with ids; <see cref="Framing"/> unused).</summary>
    public WireVersion Protocol { get; init; } = WireVersion.V1;

    /// <summary>The logic whose answers are expected.</summary>
    public ExpectedLogic Logic { get; init; } = ExpectedLogic.Reverse;

    /// <summary>How long one connection attempt may take before it counts as a connect error.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Header bytes in front of each request: the framing's on v1, 10 on v2.</summary>
    public int HeaderLength => Protocol == WireVersion.V2 ? 10 : Framing.HeaderLength;

    /// <summary>Throws <see cref="ArgumentException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Address))
        {
            throw new ArgumentException("The address is empty.", nameof(Address));
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"The port {Port} is not in 1..65535.", nameof(Port));
        }

        if (Connections < 1)
        {
            throw new ArgumentException("At least one connection is needed.", nameof(Connections));
        }

        if (Depth < 1)
        {
            throw new ArgumentException("The depth must be at least 1.", nameof(Depth));
        }

        if (Protocol is not (WireVersion.V1 or WireVersion.V2))
        {
            throw new ArgumentException($"Unknown protocol {Protocol}.", nameof(Protocol));
        }

        var maxPayload = Protocol == WireVersion.V2 ? 99_999 : Framing.MaxPayloadLength;
        if (PayloadBytes < 1 || PayloadBytes > maxPayload)
        {
            throw new ArgumentException($"The payload must be 1..{maxPayload} bytes for {(Protocol == WireVersion.V2 ? "v2 (the host's default MaxFrameBytes)" : Framing)}.", nameof(PayloadBytes));
        }

        if (Protocol == WireVersion.V2 && Depth > 100)
        {
            throw new ArgumentException("On v2 the depth may not exceed the host's default MaxConcurrentRequests (100).", nameof(Depth));
        }

        if ((long)(HeaderLength + PayloadBytes) * Depth > 64L * 1024 * 1024)
        {
            throw new ArgumentException("One batch (depth x frame) may not exceed 64 MiB.", nameof(Depth));
        }

        if (Duration <= TimeSpan.Zero)
        {
            throw new ArgumentException("The duration must be positive.", nameof(Duration));
        }

        if (Warmup < TimeSpan.Zero)
        {
            throw new ArgumentException("The warm-up may not be negative.", nameof(Warmup));
        }
    }
}
