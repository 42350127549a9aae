using System.CommandLine;
using System.Globalization;

namespace PluggableNet.LoadGen;

/// <summary>The command line of the load generator: parses options, runs, prints the summary.</summary>
internal static class LoadGenCommand
{
    /// <summary>Builds the root command; its action returns 0 on success, 1 on any error, 2 on bad options.</summary>
    public static RootCommand Create()
    {
        var address = new Option<string>("--address") { Description = "Server address.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Server TCP port.", Required = true };
        var connections = new Option<int>("--connections") { Description = "Number of TCP connections.", DefaultValueFactory = _ => 32 };
        var depth = new Option<int>("--depth") { Description = "Requests in flight per connection (pipeline depth).", DefaultValueFactory = _ => 1 };
        var payload = new Option<int>("--payload") { Description = "Payload bytes per request.", DefaultValueFactory = _ => 64 };
        var duration = new Option<double>("--duration") { Description = "Measured seconds.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Warm-up seconds, not measured.", DefaultValueFactory = _ => 2 };
        var framing = new Option<string>("--framing") { Description = "ascii5, asciiN (N = 1..10) or binary.", DefaultValueFactory = _ => "ascii5" };
        var protocol = new Option<string>("--protocol") { Description = "v1 (length-prefixed frames, --framing) or v2 (preface, typed frames with request ids).", DefaultValueFactory = _ => "v1" };
        protocol.AcceptOnlyFromAmong("v1", "v2");
        var logic = new Option<string>("--logic") { Description = "Expected server logic.", DefaultValueFactory = _ => "reverse" };
        logic.AcceptOnlyFromAmong("reverse", "upper");
        var json = new Option<FileInfo?>("--json") { Description = "Also write the summary as JSON to this file." };
        var quiet = new Option<bool>("--quiet") { Description = "No progress lines and no human summary; only the RESULT line." };

        var root = new RootCommand("PluggableNet load generator: pipelined, verifying, HDR-histogram latencies.")
        {
            address, port, connections, depth, payload, duration, warmup, framing, protocol, logic, json, quiet,
        };

        root.SetAction(async (parseResult, cancellationToken) =>
        {
            LoadOptions options;
            try
            {
                options = new LoadOptions
                {
                    Address = parseResult.GetValue(address)!,
                    Port = parseResult.GetValue(port),
                    Connections = parseResult.GetValue(connections),
                    Depth = parseResult.GetValue(depth),
                    PayloadBytes = parseResult.GetValue(payload),
                    Duration = TimeSpan.FromSeconds(parseResult.GetValue(duration)),
                    Warmup = TimeSpan.FromSeconds(parseResult.GetValue(warmup)),
                    Framing = FrameFormat.Parse(parseResult.GetValue(framing)!),
                    Protocol = parseResult.GetValue(protocol) == "v2" ? WireVersion.V2 : WireVersion.V1,
                    Logic = Enum.Parse<ExpectedLogic>(parseResult.GetValue(logic)!, ignoreCase: true),
                };
                options.Validate();
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return 2;
            }

            return await RunAsync(options, parseResult.GetValue(json), parseResult.GetValue(quiet), cancellationToken).ConfigureAwait(false);
        });

        return root;
    }

    private static async Task<int> RunAsync(LoadOptions options, FileInfo? jsonFile, bool quiet, CancellationToken cancellationToken)
    {
        var runner = new LoadRunner(options);
        LoadResult result;
        var progress = quiet ? null : new ProgressPrinter(runner, Console.Error);
        try
        {
            result = await runner.RunAsync(observer: null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (progress is not null)
            {
                await progress.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (!quiet)
        {
            await Console.Error.WriteLineAsync(Describe(result)).ConfigureAwait(false);
        }

        var resultJson = result.ToJson();
        await Console.Out.WriteLineAsync("RESULT " + resultJson).ConfigureAwait(false);
        if (jsonFile is not null)
        {
            await File.WriteAllTextAsync(jsonFile.FullName, resultJson + "\n", cancellationToken).ConfigureAwait(false);
        }

        return result.Succeeded ? 0 : 1;
    }

    private static string Describe(LoadResult r) => string.Create(
        CultureInfo.InvariantCulture,
        $"""
        {r.Connections} connections x depth {r.Depth}, {r.PayloadBytes} B payload, {r.Framing}, {r.Logic}, {r.MeasuredSeconds:F1} s measured
          requests/s : {r.RequestsPerSecond:N0}
          latency us : p50 {r.P50Us:F1}  p99 {r.P99Us:F1}  p99.9 {r.P999Us:F1}  max {r.MaxUs:F1}
          requests   : {r.Requests:N0} measured, {r.TotalRequests:N0} total; client allocated {r.ClientAllocatedBytesPerRequest:F2} B/request
          errors     : {r.Errors} (wrong answers {r.WrongAnswers}, unexpected closes {r.UnexpectedCloses}, connect failures {r.ConnectErrors})
        """);
}
