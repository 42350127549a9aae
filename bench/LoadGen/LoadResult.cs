using System.Text.Json;
using System.Text.Json.Serialization;

namespace PluggableNet.LoadGen;

/// <summary>Summary of one load run. Latencies are in microseconds and cover only the measured window.</summary>
public sealed record LoadResult
{
    /// <summary>Server address that was loaded.</summary>
    public required string Address { get; init; }

    /// <summary>Server port that was loaded.</summary>
    public required int Port { get; init; }

    /// <summary>Connections requested.</summary>
    public required int Connections { get; init; }

    /// <summary>Pipeline depth per connection.</summary>
    public required int Depth { get; init; }

    /// <summary>Payload bytes per request.</summary>
    public required int PayloadBytes { get; init; }

    /// <summary>Framing name, e.g. <c>ascii5</c>.</summary>
    public required string Framing { get; init; }

    /// <summary>Protocol spoken: <c>v1</c> (the <see cref="Framing"/>) or <c>v2</c>.</summary>
    public string Protocol { get; init; } = "v1";

    /// <summary>Expected logic name, e.g. <c>reverse</c>.</summary>
    public required string Logic { get; init; }

    /// <summary>Length of the measured window actually observed, in seconds.</summary>
    public required double MeasuredSeconds { get; init; }

    /// <summary>Verified answers received during the measured window.</summary>
    public required long Requests { get; init; }

    /// <summary>Verified answers received overall, warm-up included.</summary>
    public required long TotalRequests { get; init; }

    /// <summary><see cref="Requests"/> divided by <see cref="MeasuredSeconds"/>.</summary>
    public required double RequestsPerSecond { get; init; }

    /// <summary>Median latency in microseconds.</summary>
    public required double P50Us { get; init; }

    /// <summary>99th percentile latency in microseconds.</summary>
    public required double P99Us { get; init; }

    /// <summary>99.9th percentile latency in microseconds.</summary>
    public required double P999Us { get; init; }

    /// <summary>Largest latency in microseconds.</summary>
    public required double MaxUs { get; init; }

    /// <summary>Mean latency in microseconds.</summary>
    public required double MeanUs { get; init; }

    /// <summary>All errors: <see cref="WrongAnswers"/> + <see cref="UnexpectedCloses"/> + <see cref="ConnectErrors"/>.</summary>
    public long Errors => WrongAnswers + UnexpectedCloses + ConnectErrors;

    /// <summary>Answers whose bytes (header or payload) differ from the expected ones.</summary>
    public required long WrongAnswers { get; init; }

    /// <summary>Connections closed or reset by the server while the run was going on.</summary>
    public required long UnexpectedCloses { get; init; }

    /// <summary>Connections that could not be opened.</summary>
    public required long ConnectErrors { get; init; }

    /// <summary>
    /// Bytes allocated in the load generator's own process per measured request: shows the client is not
    /// the bottleneck (near 0 when it runs alone; includes the host's work when run in-process).
    /// </summary>
    public double ClientAllocatedBytesPerRequest { get; init; }

    /// <summary>CPU seconds (user + system) the load generator itself spent in the measured window; 0 when not measured.</summary>
    public double ClientCpuSeconds { get; init; }

    /// <summary>True when no error happened and at least one answer was verified.</summary>
    public bool Succeeded => Errors == 0 && TotalRequests > 0;

    /// <summary>The result as one line of JSON (camelCase names).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, LoadResultJsonContext.Default.LoadResult);

    /// <summary>Reads a result written by <see cref="ToJson"/>.</summary>
    public static LoadResult? FromJson(string json) => JsonSerializer.Deserialize(json, LoadResultJsonContext.Default.LoadResult);
}

/// <summary>Source-generated serializer, so writing results needs no reflection.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(LoadResult))]
internal sealed partial class LoadResultJsonContext : JsonSerializerContext
{
}
