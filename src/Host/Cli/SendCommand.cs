using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using PluggableNet.Client;
using PluggableNet.Protocol;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PluggableNet.Host.Cli;

/// <summary>
/// The <c>send</c> verb, an operator's client built on PluggableNet.Client: one request whose answer is printed, or
/// <c>--count</c> requests from <c>--concurrency</c> callers as a quick load check, with a progress line a second on
/// stderr and a summary (requests, failures, req/s, p50/p99) on stdout. Exit 0 when every request was answered,
/// 1 when one failed, 2 for a bad command line.
/// </summary>
internal static class SendCommand
{
    private const string Name = "send";
    private const int MaxCount = 10_000_000;

    public static Command Create()
    {
        var endpoints = new Argument<string>("endpoint")
        {
            Description = "The host as host:port (127.0.0.1:9090, [::1]:9090, localhost:9090); several, comma-separated, to spread requests and fail over.",
        };
        var payload = new Argument<string>("payload") { Description = "The request payload, sent as UTF-8." };
        var framing = new Option<string>("--framing")
        {
            Description = "The host's Framing:Kind: AsciiDecimal (fixed-width decimal header, the default) or UInt32BigEndian (4-byte big-endian length); any case. The old names ascii and binary still work, with a warning.",
            DefaultValueFactory = _ => nameof(FramingKind.AsciiDecimal),
            HelpName = "AsciiDecimal|UInt32BigEndian",
        };
        framing.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (ParseFraming(text, out _) is null)
            {
                result.AddError($"--framing: '{text}' is not a framing kind; use AsciiDecimal or UInt32BigEndian (as Framing:Kind).");
            }
        });
        var protocol = new Option<string>("--protocol")
        {
            Description = "The protocol to speak: v1 (length header, answers in order; every host) or v2 (request ids, error codes, cancel; a host with Framing:AllowV2). Default: the client library's, v1.",
            DefaultValueFactory = _ => new PluggableNetClientOptions().Protocol.ToString().ToLowerInvariant(),
            HelpName = "v1|v2",
        };
        protocol.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (ParseProtocol(text) is null)
            {
                result.AddError($"--protocol: '{text}' is not a protocol; use v1 or v2.");
            }
        });
        var digits = new Option<int>("--header-digits") { Description = "ASCII header width, as the host's Framing:HeaderDigits (1..10).", DefaultValueFactory = _ => 5 };
        var count = new Option<int>("--count") { Description = $"How many requests to send (1..{MaxCount}); above 1, prints a summary instead of the answer.", DefaultValueFactory = _ => 1 };
        var concurrency = new Option<int>("--concurrency") { Description = "Callers sending at once, each waiting for its answer before its next request.", DefaultValueFactory = _ => 1 };
        var connections = new Option<int>("--connections") { Description = "Persistent connections per endpoint, shared by all callers (pipelined).", DefaultValueFactory = _ => 2 };
        var timeout = new Option<double>("--timeout") { Description = "How long each request may wait for its answer, in seconds.", DefaultValueFactory = _ => 10, HelpName = "SECONDS" };
        var idempotent = new Option<bool>("--idempotent") { Description = "The request is safe to process twice: retry it once elsewhere if its connection dies." };
        var tls = new SendTlsOptions();
        var verbose = new Option<bool>("--verbose") { Description = "Log the client's connection events (Debug) to stderr; without it, only warnings." };
        Range(digits, 1, 10);
        Range(count, 1, MaxCount);
        Range(concurrency, 1, 10_000);
        Range(connections, 1, 1_000);
        timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is not (> 0 and <= 86_400))
            {
                result.AddError("--timeout: give a number of seconds above 0 (at most 86400).");
            }
        });

        var command = new Command(Name, "Sends a request to a host with the client library and prints the answer; with --count, a quick load check (progress on stderr, summary on stdout). Exit 0 if every request was answered, 1 if one failed, 2 for a bad command line.")
        {
            endpoints, payload, protocol, framing, digits, count, concurrency, connections, timeout, idempotent, verbose,
        };
        foreach (var option in tls.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parseResult, cancellationToken) =>
        {
            var framingKind = ParseFraming(parseResult.GetValue(framing), out var deprecated)!.Value;
            if (deprecated is not null)
            {
                Console.Error.WriteLine($"send: warning: --framing {deprecated} is deprecated; use --framing {framingKind} (the name Framing:Kind uses).");
            }

            var options = new PluggableNetClientOptions
            {
                Protocol = ParseProtocol(parseResult.GetValue(protocol))!.Value,
                Framing = framingKind,
                HeaderDigits = parseResult.GetValue(digits),
                ConnectionsPerEndpoint = parseResult.GetValue(connections),
                RequestTimeout = TimeSpan.FromSeconds(parseResult.GetValue(timeout)),
                Idempotent = parseResult.GetValue(idempotent),
            };
            try
            {
                foreach (var endpoint in parseResult.GetValue(endpoints)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    options.Endpoints.Add(PluggableNetClientOptions.ParseEndpoint(endpoint));
                }
            }
            catch (FormatException exception)
            {
                Console.Error.WriteLine($"send: {exception.Message}");
                return Task.FromResult(HostApp.ExitInvalidConfiguration);
            }

            if (tls.Apply(parseResult, options) is { } tlsError)
            {
                Console.Error.WriteLine($"send: {tlsError}");
                return Task.FromResult(HostApp.ExitInvalidConfiguration);
            }

            var request = System.Text.Encoding.UTF8.GetBytes(parseResult.GetValue(payload)!);
            var load = new Load(parseResult.GetValue(count), parseResult.GetValue(concurrency));
            return RunAsync(options, request, load, parseResult.GetValue(verbose), cancellationToken);
        });
        return command;
    }

    /// <summary>
    /// Whether <paramref name="parseResult"/> is a <c>send</c> command line with errors; if so they are printed, and the
    /// caller exits 2 as for any other mistyped command line (System.CommandLine alone would exit 1).
    /// </summary>
    public static bool RejectsUsage(ParseResult parseResult)
    {
        if (parseResult.CommandResult.Command.Name != Name || (parseResult.Errors.Count == 0 && parseResult.UnmatchedTokens.Count == 0))
        {
            return false;
        }

        foreach (var error in parseResult.Errors)
        {
            Console.Error.WriteLine(error.Message);
        }

        // The root lets unknown tokens through as configuration overrides; send has none, so they are mistakes.
        foreach (var token in parseResult.UnmatchedTokens)
        {
            Console.Error.WriteLine($"Unrecognized option or argument '{token}'.");
        }

        Console.Error.WriteLine("See 'send --help'.");
        return true;
    }

    /// <summary>
    /// A <see cref="FramingKind"/> by its name, in any case; the names used before it existed (<c>ascii</c>,
    /// <c>binary</c>) are still taken, and returned in <paramref name="deprecated"/> for a warning. Null for anything
    /// else (numbers included, which <see cref="Enum.TryParse{TEnum}(string, bool, out TEnum)"/> would take).
    /// </summary>
    internal static FramingKind? ParseFraming(string? text, out string? deprecated)
    {
        deprecated = null;
        if (string.Equals(text, "ascii", StringComparison.OrdinalIgnoreCase) || string.Equals(text, "binary", StringComparison.OrdinalIgnoreCase))
        {
            deprecated = text;
            return string.Equals(text, "ascii", StringComparison.OrdinalIgnoreCase) ? FramingKind.AsciiDecimal : FramingKind.UInt32BigEndian;
        }

        return Enum.GetValues<FramingKind>().Select(k => (FramingKind?)k).FirstOrDefault(k => string.Equals(k.ToString(), text, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A <see cref="ClientProtocol"/> by its name, in any case (<c>v1</c>, <c>V2</c>); null for anything else, numbers included.</summary>
    internal static ClientProtocol? ParseProtocol(string? text) =>
        Enum.GetValues<ClientProtocol>().Select(p => (ClientProtocol?)p).FirstOrDefault(p => string.Equals(p.ToString(), text, StringComparison.OrdinalIgnoreCase));

    private static void Range(Option<int> option, int min, int max) => option.Validators.Add(result =>
    {
        var value = result.GetValueOrDefault<int>();
        if (value < min || value > max)
        {
            result.AddError($"{option.Name}: '{value}' is not a whole number from {min} to {max}.");
        }
    });

    private static async Task<int> RunAsync(PluggableNetClientOptions options, byte[] request, Load load, bool verbose, CancellationToken cancellationToken)
    {
        await using var serilog = new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Warning)
            .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}", standardErrorFromLevel: LogEventLevel.Verbose, formatProvider: CultureInfo.InvariantCulture)
            .CreateLogger();
        using var loggerFactory = new SerilogLoggerFactory(serilog);
        PluggableNetClient client;
        try
        {
            client = new PluggableNetClient(options, loggerFactory.CreateLogger("PluggableNet.Client"));
        }
        catch (ArgumentException exception)
        {
            await Console.Error.WriteLineAsync($"send: {exception.Message}").ConfigureAwait(false);
            return HostApp.ExitInvalidConfiguration;
        }

        await using (client.ConfigureAwait(false))
        {
            var smallest = options.Protocol == ClientProtocol.V1 ? 1 : 0;
            if (request.Length < smallest || request.Length > client.MaxRequestBytes)
            {
                await Console.Error.WriteLineAsync($"send: the payload has {request.Length} bytes; the framing carries {smallest} to {client.MaxRequestBytes}.").ConfigureAwait(false);
                return HostApp.ExitInvalidConfiguration;
            }

            return load.Count == 1
                ? await SendOnceAsync(client, request, cancellationToken).ConfigureAwait(false)
                : await load.RunAsync(client, request, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<int> SendOnceAsync(PluggableNetClient client, byte[] request, CancellationToken cancellationToken)
    {
        byte[] answer;
        try
        {
            answer = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or TimeoutException or OperationCanceledException or PluggableNetRequestException)
        {
            await Console.Error.WriteLineAsync($"send: {exception.Message}").ConfigureAwait(false);
            return 1;
        }

        // The answer's bytes as they are (a plugin may answer binary), then a line end for the terminal.
        await using var stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync(answer, cancellationToken).ConfigureAwait(false);
        await stdout.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The load check: <c>count</c> requests from <c>concurrency</c> callers, each latency recorded.</summary>
    private sealed class Load(int count, int concurrency)
    {
        private readonly long[] _latencies = new long[count];
        private int _next = -1;
        private int _answered;
        private int _failed;
        private string? _firstFailure;

        public int Count => count;

        public async Task<int> RunAsync(PluggableNetClient client, byte[] request, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            using var progress = new Timer(_ => Console.Error.WriteLine(Progress(started)), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            var callers = Enumerable.Range(0, Math.Min(concurrency, count)).Select(_ => CallerAsync(client, request, cancellationToken));
            await Task.WhenAll(callers).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started);
            await progress.DisposeAsync().ConfigureAwait(false);

            // Every index below the callers' last claim was sent and has completed: 0 .. done - 1.
            var done = _answered + _failed;
            var latencies = _latencies.AsSpan(0, done);
            latencies.Sort();
            Console.Out.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"requests {done}, answered {_answered}, failed {_failed}, {done / elapsed.TotalSeconds:F0} req/s, p50 {Milliseconds(latencies, 0.50):F3} ms, p99 {Milliseconds(latencies, 0.99):F3} ms, {elapsed.TotalSeconds:F2} s, resent {client.Counters.Resent}, retried {client.Counters.Retried}"));
            if (_firstFailure is not null)
            {
                await Console.Error.WriteLineAsync($"send: first failure: {_firstFailure}").ConfigureAwait(false);
            }

            return _failed == 0 && done == count ? 0 : 1;
        }

        private static double Milliseconds(ReadOnlySpan<long> sorted, double quantile) =>
            sorted.IsEmpty ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(quantile * sorted.Length))] * 1000.0 / Stopwatch.Frequency;

        private string Progress(long started)
        {
            var answered = Volatile.Read(ref _answered);
            var failed = Volatile.Read(ref _failed);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return string.Create(CultureInfo.InvariantCulture, $"sent {answered + failed}/{count}, {failed} failed, {(answered + failed) / seconds:F0} req/s");
        }

        private async Task CallerAsync(PluggableNetClient client, byte[] request, CancellationToken cancellationToken)
        {
            int index;
            while ((index = Interlocked.Increment(ref _next)) < count && !cancellationToken.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
                    _latencies[index] = Stopwatch.GetTimestamp() - start;
                    Interlocked.Increment(ref _answered);
                }
                catch (Exception exception) when (exception is IOException or TimeoutException or OperationCanceledException or PluggableNetRequestException)
                {
                    Interlocked.Increment(ref _failed);
                    _latencies[index] = Stopwatch.GetTimestamp() - start;
                    Interlocked.CompareExchange(ref _firstFailure, $"{exception.GetType().Name}: {exception.Message}", null);
                }
            }
        }
    }
}
