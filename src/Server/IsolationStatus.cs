using System.Text.Json.Serialization;

namespace PluggableNet.Server;

/// <summary>
/// What <c>status</c> reports about a plugin in <c>Isolation Process</c> (docs/isolation.md): its worker, and how its
/// requests and answers were batched. The counts are the plugin's on this endpoint since start, over every generation
/// and worker, as the <c>pluggablenet.isolation.*</c> instruments count them.
/// </summary>
public sealed record IsolationStatus
{
    /// <summary>The isolated plugin's name.</summary>
    [JsonPropertyName("plugin")]
    public string Plugin { get; init; } = string.Empty;

    /// <summary>The serving generation's worker process id; 0 between a crash and its restart, and once given up.</summary>
    [JsonPropertyName("workerPid")]
    public int WorkerPid { get; init; }

    /// <summary>True once the serving generation crashed past <c>Plugins:&lt;Name&gt;:MaxRestarts</c>: refused until reloaded.</summary>
    [JsonPropertyName("gaveUp")]
    public bool GaveUp { get; init; }

    /// <summary>Workers that died while serving (retired ones, at a swap, are not counted).</summary>
    [JsonPropertyName("workerCrashes")]
    public long WorkerCrashes { get; init; }

    /// <summary>Workers started again after a crash.</summary>
    [JsonPropertyName("workerRestarts")]
    public long WorkerRestarts { get; init; }

    /// <summary>Requests queued to the worker.</summary>
    [JsonPropertyName("requests")]
    public long Requests { get; init; }

    /// <summary>Socket writes that carried them, each a batch of one or more.</summary>
    [JsonPropertyName("requestWrites")]
    public long RequestWrites { get; init; }

    /// <summary>Answers read back.</summary>
    [JsonPropertyName("answers")]
    public long Answers { get; init; }

    /// <summary>Socket reads that brought them, each a batch of one or more.</summary>
    [JsonPropertyName("answerReads")]
    public long AnswerReads { get; init; }

    /// <summary>Epoll reactor channel sends that found the worker's buffer full and read answers while they waited.</summary>
    [JsonPropertyName("blockedSends")]
    public long BlockedSends { get; init; }

    /// <summary>The batch factor: <see cref="Requests"/> per <see cref="RequestWrites"/> (1 when nothing is pipelined; 0 before any).</summary>
    [JsonPropertyName("requestsPerWrite")]
    public double RequestsPerWrite => RequestWrites == 0 ? 0 : Math.Round((double)Requests / RequestWrites, 2);

    /// <summary><see cref="Answers"/> per <see cref="AnswerReads"/>.</summary>
    [JsonPropertyName("answersPerRead")]
    public double AnswersPerRead => AnswerReads == 0 ? 0 : Math.Round((double)Answers / AnswerReads, 2);
}
