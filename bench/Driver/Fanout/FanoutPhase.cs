using System.Text.Json;

namespace PluggableNet.Bench.Driver.Fanout;

/// <summary>One measured phase as bench/Baselines/C/fanout.c prints it (one JSON line per phase).</summary>
internal sealed record FanoutPhase
{
    private static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);

    /// <summary><c>paced</c> (one message at a time) or <c>burst</c> (all messages in one send).</summary>
    public string Phase { get; init; } = string.Empty;

    public int Connections { get; init; }

    public int Messages { get; init; }

    public int PayloadBytes { get; init; }

    public int Threads { get; init; }

    /// <summary>Connections × messages: every receiver got every message, in order, byte for byte.</summary>
    public double Deliveries { get; init; }

    /// <summary>From the phase's first send to its last delivery.</summary>
    public double Seconds { get; init; }

    public double DeliveriesPerSecond { get; init; }

    /// <summary>From the send of the phase's last message to that message's last delivery.</summary>
    public double LastMessageUs { get; init; }

    /// <summary>Per message, send to its last delivery: median (in a burst every message counts from the one send).</summary>
    public double FanoutP50Us { get; init; }

    public double FanoutP99Us { get; init; }

    public double FanoutMaxUs { get; init; }

    public double FanoutMeanUs { get; init; }

    /// <summary>The load generator's CPU (every thread) inside the phase.</summary>
    public double ClientCpuSeconds { get; init; }

    public long WrongStreams { get; init; }

    public long UnexpectedCloses { get; init; }

    public static FanoutPhase? FromJson(string line) => JsonSerializer.Deserialize<FanoutPhase>(line, _json);
}
