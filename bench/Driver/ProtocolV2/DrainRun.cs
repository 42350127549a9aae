using System.Diagnostics;

namespace PluggableNet.Bench.Driver.ProtocolV2;

/// <summary>What one drain run counted: on the client, and in the two hosts' ledgers of processed requests.</summary>
internal sealed record DrainResult
{
    public required int Round { get; init; }

    public required string Execution { get; init; }

    public required int Connections { get; init; }

    public required int Depth { get; init; }

    /// <summary>Distinct requests (tokens) sent.</summary>
    public required long Sent { get; init; }

    /// <summary>Requests answered (ANSWER, payload verified), each token once.</summary>
    public required long Answered { get; init; }

    /// <summary>Requests sent again on the second host: answered ERROR SHUTTING_DOWN, or above GOAWAY's lastId.</summary>
    public required long Resent { get; init; }

    public required long ShuttingDownErrors { get; init; }

    public required long AboveLastId { get; init; }

    public required long GoAways { get; init; }

    public required long Reconnects { get; init; }

    /// <summary>Requests the plugin processed (lines in both ledgers).</summary>
    public required long Processed { get; init; }

    public required long ProcessedOnFirstHost { get; init; }

    /// <summary>Tokens processed more than once (in either ledger or both): must be 0.</summary>
    public required long ProcessedTwice { get; init; }

    /// <summary>Answered tokens missing from the ledgers (the ledger would be incomplete): must be 0.</summary>
    public required long AnsweredNotProcessed { get; init; }

    /// <summary>Processed tokens the client never saw answered: must be 0 (a processed request whose answer was lost).</summary>
    public required long ProcessedNotAnswered { get; init; }

    /// <summary>Anything else that went wrong: wrong bytes, other ERRORs, ids at or below lastId never answered, closes without GOAWAY, requests never answered.</summary>
    public required long Errors { get; init; }

    public required double FirstHostStopSeconds { get; init; }
}

/// <summary>
/// A host stops while a second takes over, under pipelined v2 load: two hosts (epoll, the Probe plugin writing a
/// ledger of every processed request's token, one file per host), <c>connections</c> clients with <c>depth</c>
/// requests in flight each on the first host; after <c>before</c> the first host gets SIGTERM (a graceful stop: GOAWAY
/// on every v2 connection); every client moves to the second host, resending only what the protocol says was not
/// processed, and runs there for <c>after</c>. Then the second host stops too, and the ledgers are counted.
/// </summary>
internal sealed class DrainRun(string hostDll, string benchPlugins, bool offloaded, int connections, int depth, TimeSpan before, TimeSpan after, TextWriter log)
{
    public async Task<DrainResult> RunAsync(int round, CancellationToken cancellationToken)
    {
        var work = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"pn-drain-{Environment.ProcessId}-{round}-{(offloaded ? "off" : "in")}")).FullName;
        var ledgers = new[] { Path.Combine(work, "first.ledger"), Path.Combine(work, "second.ledger") };
        var scenario = new Scenario("drain", connections, depth, 32);
        ServerProcess? first = null;
        ServerProcess? second = null;
        try
        {
            first = await ServerProcess.StartAsync(Host("first", ledgers[0]), scenario, benchPlugins, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            second = await ServerProcess.StartAsync(Host("second", ledgers[1]), scenario, benchPlugins, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);

            var counts = new DrainCounts();
            long nextToken = 0;
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, connections).Select(_ => new DrainClient(depth, counts, () => Interlocked.Increment(ref nextToken))).ToList();
            var ports = new[] { first.Port, second.Port };
            var started = Stopwatch.GetTimestamp();
            var running = clients.Select(c => Task.Run(() => c.RunAsync(ports, stop.Token), CancellationToken.None)).ToList();

            await Task.Delay(before, cancellationToken).ConfigureAwait(false);
            var stopAt = Stopwatch.GetElapsedTime(started).TotalSeconds;
            first.Terminate();
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            await Task.Delay(after, cancellationToken).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            second.Terminate();
            await second.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);

            var (processed, lines, onFirst) = CountLedgers(ledgers);
            var answered = clients.SelectMany(c => c.Answered).ToHashSet();
            var result = new DrainResult
            {
                Round = round,
                Execution = offloaded ? "offloaded" : "inline",
                Connections = connections,
                Depth = depth,
                Sent = counts.Sent,
                Answered = counts.Answered,
                Resent = counts.Resent,
                ShuttingDownErrors = counts.ShuttingDown,
                AboveLastId = counts.AboveLastId,
                GoAways = counts.GoAways,
                Reconnects = counts.Reconnects,
                Processed = lines,
                ProcessedOnFirstHost = onFirst,
                ProcessedTwice = processed.Count(p => p.Value > 1),
                AnsweredNotProcessed = answered.Count(t => !processed.ContainsKey(t)),
                ProcessedNotAnswered = processed.Keys.Count(t => !answered.Contains(t)),
                Errors = counts.WrongAnswers + counts.OtherErrors + counts.AnsweredTwice + counts.PromisedButUnanswered + counts.ClosedWithoutGoAway + counts.Unanswered,
                FirstHostStopSeconds = Math.Round(stopAt, 3),
            };
            if (result.Errors > 0)
            {
                log.WriteLine($"  drain errors: wrong {counts.WrongAnswers}, other ERRORs {counts.OtherErrors}, answered twice {counts.AnsweredTwice}, promised but unanswered {counts.PromisedButUnanswered}, closed without GOAWAY {counts.ClosedWithoutGoAway}, unanswered {counts.Unanswered}");
            }

            return result;
        }
        finally
        {
            first?.Dispose();
            second?.Dispose();
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The ledgers: every line is one request the plugin processed. Per token how often; all lines; lines in the first.</summary>
    internal static (Dictionary<long, int> PerToken, long Lines, long InFirst) CountLedgers(IReadOnlyList<string> ledgers)
    {
        var processed = new Dictionary<long, int>();
        long onFirst = 0;
        long lines = 0;
        for (var i = 0; i < ledgers.Count; i++)
        {
            foreach (var line in File.Exists(ledgers[i]) ? File.ReadLines(ledgers[i]) : [])
            {
                if (DrainClient.TokenOf(line) is not { } token)
                {
                    continue;
                }

                lines++;
                onFirst += i == 0 ? 1 : 0;
                processed[token] = processed.GetValueOrDefault(token) + 1;
            }
        }

        return (processed, lines, onFirst);
    }

    private ServerDefinition Host(string name, string ledger) => ServerDefinition.Host(
        name,
        "Epoll",
        hostDll,
        $"--Logic:PluginsPath={benchPlugins}",
        "--Logic:Plugin=Probe",
        $"--Plugins:Probe:Offloaded={(offloaded ? "true" : "false")}",
        $"--Plugins:Probe:Ledger={ledger}");
}
